#include "http/request_id.h"

#include <cstdint>
#include <random>

namespace switchboard::http {

bool IsWellFormedRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

std::string NewRequestId() {
  // One generator per thread: no lock on the request path. Ids only need to
  // be distinct, not unpredictable.
  thread_local std::mt19937_64 generator{[] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = generator();
    for (int i = 0; i < 16; ++i, bits >>= 4) id[half * 16 + i] = kHex[bits & 0xf];
  }
  return id;
}

std::string RequestIdFor(std::optional<std::string_view> sent) {
  if (sent && IsWellFormedRequestId(*sent)) return std::string(*sent);
  return NewRequestId();
}

}  // namespace switchboard::http
