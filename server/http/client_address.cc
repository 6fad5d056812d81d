#include "http/client_address.h"

namespace switchboard::http {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string ClientAddress(std::string_view peer, std::optional<std::string_view> forwarded_for,
                          const IpRangeSet& trusted_proxies) {
  const std::optional<IpAddress> peer_address = ParseIpAddress(peer);
  if (!peer_address) return std::string(peer);
  IpAddress nearest = *peer_address;
  if (!forwarded_for || !trusted_proxies.Contains(nearest)) return nearest.ToString();
  std::string_view rest = *forwarded_for;
  while (!rest.empty()) {
    const std::size_t comma = rest.rfind(',');
    const std::string_view entry =
        Trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    if (entry.empty()) continue;  // "a, , b": tolerated, as proxies write it
    const std::optional<IpAddress> hop = ParseForwardedAddress(entry);
    if (!hop) break;
    nearest = *hop;
    if (!trusted_proxies.Contains(nearest)) break;
  }
  return nearest.ToString();
}

}  // namespace switchboard::http
