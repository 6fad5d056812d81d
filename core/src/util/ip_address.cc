#include "util/ip_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

namespace switchboard {
namespace {

constexpr std::array<std::uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

bool IpAddress::is_v4() const {
  return std::memcmp(bytes.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size()) == 0;
}

std::string IpAddress::ToString() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (is_v4()) {
    inet_ntop(AF_INET, bytes.data() + 12, text, sizeof text);
  } else {
    inet_ntop(AF_INET6, bytes.data(), text, sizeof text);
  }
  return text;
}

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  // inet_pton needs a NUL-terminated string; longer texts are no address.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buffer[INET6_ADDRSTRLEN] = {};
  std::memcpy(buffer, text.data(), text.size());
  IpAddress address;
  in_addr v4{};
  if (inet_pton(AF_INET, buffer, &v4) == 1) {
    std::memcpy(address.bytes.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size());
    std::memcpy(address.bytes.data() + 12, &v4, 4);
    return address;
  }
  if (inet_pton(AF_INET6, buffer, address.bytes.data()) == 1) return address;
  return std::nullopt;
}

std::optional<IpAddress> ParseForwardedAddress(std::string_view text) {
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':' || rest.size() < 2 || rest.size() > 6) return std::nullopt;
      for (char c : rest.substr(1)) {
        if (c < '0' || c > '9') return std::nullopt;
      }
    }
    const auto address = ParseIpAddress(text.substr(1, close - 1));
    if (!address || address->is_v4()) return std::nullopt;
    return address;
  }
  if (const auto address = ParseIpAddress(text)) return address;
  // "a.b.c.d:port": exactly one colon, so never a bare IPv6 address.
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5) return std::nullopt;
  for (char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  const auto address = ParseIpAddress(text.substr(0, colon));
  if (!address || !address->is_v4()) return std::nullopt;
  return address;
}

IpRange IpRange::Parse(std::string_view text) {
  const std::size_t slash = text.find('/');
  const std::string_view address_text = text.substr(0, slash);
  const auto address = ParseIpAddress(address_text);
  if (!address) {
    throw std::invalid_argument("'" + std::string(text) +
                                "' is not an IP address or range (e.g. 10.0.0.0/8, fd00::/8, "
                                "127.0.0.1)");
  }
  IpRange range;
  range.network_ = *address;
  if (slash != std::string_view::npos) {
    const std::string_view prefix_text = text.substr(slash + 1);
    int prefix = -1;
    const auto [end, error] =
        std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
    const int max = address->is_v4() ? 32 : 128;
    if (prefix_text.empty() || error != std::errc() ||
        end != prefix_text.data() + prefix_text.size() || prefix < 0 || prefix > max) {
      throw std::invalid_argument("'" + std::string(text) + "': the prefix length must be 0.." +
                                  std::to_string(max));
    }
    range.prefix_bits_ = address->is_v4() ? 96 + prefix : prefix;
  }
  return range;
}

bool IpRange::Contains(const IpAddress& address) const {
  int bits = prefix_bits_;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((address.bytes[i] & mask) != (network_.bytes[i] & mask)) return false;
  }
  return true;
}

IpRangeSet::IpRangeSet(const std::vector<std::string>& entries) {
  for (const std::string& entry : entries) ranges_.push_back(IpRange::Parse(entry));
}

bool IpRangeSet::Contains(const IpAddress& address) const {
  for (const IpRange& range : ranges_) {
    if (range.Contains(address)) return true;
  }
  return false;
}

}  // namespace switchboard
