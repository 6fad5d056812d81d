// Weighted rendezvous (highest-random-weight) hashing, as the regional
// plugin uses it. Pure functions, header-only so tests can check the
// distribution properties directly.
//
// Each (device uuid, broker id) pair gets a pseudo-random number u in (0,1)
// from a stable hash; the broker's score is -weight / ln(u), and the highest
// score wins. Properties:
//   - deterministic: the hash is FNV-1a 64 plus the SplitMix64 finalizer
//     over the bytes, never std::hash, so every process and every restart
//     picks the same broker while the set of brokers is unchanged;
//   - weighted: a broker wins a share of devices proportional to its weight;
//   - minimal disruption: removing a broker moves only its devices, adding
//     one moves only the devices the new broker wins.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::regional {

inline std::uint64_t StableHash(std::string_view uuid, std::int64_t broker_id) {
  std::uint64_t h = 14695981039346656037ULL;  // FNV-1a 64 offset basis
  auto feed = [&h](unsigned char byte) {
    h ^= byte;
    h *= 1099511628211ULL;  // FNV-1a 64 prime
  };
  for (const char c : uuid) feed(static_cast<unsigned char>(c));
  feed(0);  // separator: ("ab", 1) and ("a", "b1") must differ
  for (const char c : std::to_string(broker_id)) feed(static_cast<unsigned char>(c));
  // SplitMix64 finalizer: FNV alone mixes similar inputs poorly.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

// -weight / ln(u), with u = the top 53 bits of the hash mapped into (0,1).
inline double RendezvousScore(std::string_view uuid, std::int64_t broker_id, int weight) {
  const double u =
      (static_cast<double>(StableHash(uuid, broker_id) >> 11) + 0.5) / 9007199254740992.0;
  return -static_cast<double>(weight) / std::log(u);
}

// The index of the winning broker in `brokers` (anything with `id` and
// `weight`); brokers with weight <= 0 never win. Returns brokers.size() when
// none is eligible. Ties (astronomically rare) go to the lower id.
template <typename Broker>
std::size_t PickRendezvous(std::string_view uuid, const std::vector<Broker>& brokers) {
  std::size_t best = brokers.size();
  double best_score = 0;
  for (std::size_t i = 0; i < brokers.size(); ++i) {
    if (brokers[i].weight <= 0) continue;
    const double score = RendezvousScore(uuid, brokers[i].id, brokers[i].weight);
    if (best == brokers.size() || score > best_score ||
        (score == best_score && brokers[i].id < brokers[best].id)) {
      best = i;
      best_score = score;
    }
  }
  return best;
}

// Every eligible broker's index in `brokers`, best score first (ties to the
// lower id): the device's rendezvous choices in order. The first is
// PickRendezvous's; the first of any subset is that subset's winner, which
// is why skipping unhealthy brokers moves only their own devices.
template <typename Broker>
std::vector<std::size_t> RankRendezvous(std::string_view uuid, const std::vector<Broker>& brokers) {
  std::vector<std::pair<double, std::size_t>> scored;
  scored.reserve(brokers.size());
  for (std::size_t i = 0; i < brokers.size(); ++i) {
    if (brokers[i].weight <= 0) continue;
    scored.emplace_back(RendezvousScore(uuid, brokers[i].id, brokers[i].weight), i);
  }
  std::sort(scored.begin(), scored.end(), [&brokers](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return brokers[a.second].id < brokers[b.second].id;
  });
  std::vector<std::size_t> out;
  out.reserve(scored.size());
  for (const auto& [score, index] : scored) out.push_back(index);
  return out;
}

}  // namespace switchboard::regional
