// IP addresses and CIDR ranges, as `server.trusted_proxies` names them and as
// the HTTP layer compares client addresses (server/http/client_address.h).
//
// Pure functions and immutable values: thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard {

// An IPv4 or IPv6 address. IPv4 is held as an IPv4-mapped IPv6 address
// (::ffff:a.b.c.d), so "10.0.0.1" and "::ffff:10.0.0.1" are the same address.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};

  bool is_v4() const;
  // The canonical text: dotted quad for IPv4, RFC 5952 for IPv6
  // ("0:0::1" → "::1"). Equal addresses give equal texts.
  std::string ToString() const;
  bool operator==(const IpAddress&) const = default;
};

// Parses a bare address ("10.0.0.1", "::1", "::ffff:10.0.0.1"). No port, no
// brackets, no zone id. std::nullopt otherwise.
std::optional<IpAddress> ParseIpAddress(std::string_view text);

// An address as an X-Forwarded-For entry may write it: bare, "[v6]",
// "[v6]:port" or "v4:port" (some proxies add the port). std::nullopt when it
// is none of these ("unknown", obfuscated identifiers, garbage).
std::optional<IpAddress> ParseForwardedAddress(std::string_view text);

// An address range: "10.0.0.0/8", "fd00::/8", or one address ("10.0.0.1",
// "::1": all its bits).
class IpRange {
 public:
  // Throws std::invalid_argument with a message naming `text` when it is not
  // an address or a range, or the prefix is out of range (0..32 for IPv4,
  // 0..128 for IPv6). Host bits set below the prefix are allowed and ignored
  // ("10.1.2.3/8" is 10.0.0.0/8).
  static IpRange Parse(std::string_view text);

  bool Contains(const IpAddress& address) const;

 private:
  IpAddress network_;
  int prefix_bits_ = 128;  // over the 128-bit (mapped) form
};

// A list of ranges; empty contains nothing.
class IpRangeSet {
 public:
  IpRangeSet() = default;
  // Throws std::invalid_argument for the first entry IpRange::Parse refuses.
  explicit IpRangeSet(const std::vector<std::string>& entries);

  bool empty() const { return ranges_.empty(); }
  bool Contains(const IpAddress& address) const;

 private:
  std::vector<IpRange> ranges_;
};

}  // namespace switchboard
