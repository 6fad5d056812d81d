// FailureLimiter: a token bucket per client address that only failures
// drain. It limits how fast one address can guess credentials.
//
// Each address starts with `burst` tokens and earns one back every `refill`
// (up to `burst`). A request that presents a credential first takes a token
// (Acquire); when it turns out valid the token is given back (Succeeded), when
// it fails the token stays spent (Failed). An address without a token is
// refused before its credential is looked at, with the time until the next
// token: a guesser learns nothing from a refused attempt, and a client with
// a valid credential is served as soon as one token is back (at most
// `refill` after its last failure). Successes never cost anything, so an
// address that never fails is never refused, and taking the token before the
// check bounds the guesses in flight at once by `burst`.
//
// Addresses are counted by key: an IPv4 address as it is, an IPv6 address by
// its /64 (one subscriber's usual allocation, which a guesser can otherwise
// walk through for free).
//
// Memory is bounded: at most `max_clients` addresses are tracked, and only
// while they have spent tokens (an address whose bucket is full again is
// forgotten: it is the same as an unknown one). When the table is full, the
// limiter drops every full bucket (at most once per second); addresses that
// still find no room share one overflow bucket of the same size, so a flood
// of more than `max_clients` failing addresses within one refill window slows
// new addresses down together instead of growing memory or letting them
// guess unlimited. overflowed() counts those times.
//
// Time is passed in (steady clock), so tests never wait. Thread-safe: one
// mutex, held for O(1) per call (O(max_clients) for the once-a-second sweep
// when full).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace switchboard {

struct FailureLimits {
  int burst = 10;                           // REQUIRES: 1..100000
  std::chrono::milliseconds refill{6'000};  // REQUIRES: > 0; 10 per minute
  std::size_t max_clients = 100'000;        // REQUIRES: >= 1
};

class FailureLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // One attempt: refused (retry_after > 0), or holding a token.
  struct Attempt {
    std::chrono::milliseconds retry_after{0};  // > 0: refused; wait this long
    std::string key;                           // KeyOf(address)
    bool overflow = false;                     // took the shared overflow bucket
    bool refused() const { return retry_after.count() > 0; }
  };

  // Throws std::invalid_argument when a limit is out of range.
  explicit FailureLimiter(FailureLimits limits);

  // Takes a token for one attempt from `address` (any text; an IP address
  // is keyed as above), or refuses it with the time until the address has
  // a token again. An attempt that was not refused is either given back
  // with Succeeded (its credential was valid) or simply dropped (it failed:
  // the token stays spent).
  Attempt Acquire(std::string_view address, Clock::time_point now);
  // The attempt's credential was valid: its token is given back.
  void Succeeded(const Attempt& attempt, Clock::time_point now);

  const FailureLimits& limits() const { return limits_; }
  // Addresses tracked now (at most max_clients).
  std::size_t TrackedForTest() const;
  // Attempts that found the table full and used the overflow bucket.
  std::uint64_t overflowed() const;

  // The key an address is counted by: "10.0.0.1", "2001:db8:1:2::/64", or
  // the text as given when it is not an IP address.
  static std::string KeyOf(std::string_view address);

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };
  void Refill(Bucket& bucket, Clock::time_point now) const;
  // The bucket for `key`, made full when new; the overflow bucket when the
  // table has no room. REQUIRES: mutex_ held.
  Bucket& Find(const std::string& key, Clock::time_point now);
  void SweepFull(Clock::time_point now);

  const FailureLimits limits_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
  Bucket overflow_;
  std::optional<Clock::time_point> last_sweep_;
  std::uint64_t overflowed_ = 0;
};

}  // namespace switchboard
