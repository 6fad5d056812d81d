#include "broker_url.h"

#include <algorithm>
#include <cctype>

namespace switchboard::agent {
namespace {

std::optional<Endpoint> Fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return std::nullopt;
}

bool ValidHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
}

}  // namespace

std::optional<Endpoint> ParseBrokerUrl(std::string_view url, std::string* error) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return Fail(error, "broker URL has no scheme");
  std::string scheme(url.substr(0, scheme_end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  Endpoint endpoint;
  int default_port = 0;
  if (scheme == "mqtt") {
    default_port = 1883;
  } else if (scheme == "mqtts") {
    default_port = 8883;
  } else if (scheme == "ws") {
    default_port = 80;
  } else if (scheme == "wss") {
    default_port = 443;
  } else {
    return Fail(error, "broker URL scheme must be mqtt, mqtts, ws or wss");
  }
  endpoint.protocol = scheme;
  endpoint.use_tls = scheme == "mqtts" || scheme == "wss";

  std::string_view rest = url.substr(scheme_end + 3);
  const auto path_at = rest.find('/');
  std::string_view authority = rest.substr(0, path_at);
  const std::string_view path = path_at == std::string_view::npos ? "" : rest.substr(path_at);
  if (authority.find('@') != std::string_view::npos) {
    return Fail(error, "broker URL must not carry user information");
  }
  if (rest.find_first_of("?# \t\r\n") != std::string_view::npos) {
    return Fail(error, "broker URL must not have a query, fragment or spaces");
  }
  if (!path.empty() && path != "/" && !(scheme == "ws" || scheme == "wss")) {
    return Fail(error, "mqtt:// and mqtts:// broker URLs take no path");
  }

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return Fail(error, "broker URL has an unclosed '['");
    endpoint.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Fail(error, "broker URL has text after ']'");
      port_text = after.substr(1);
      if (port_text.empty()) return Fail(error, "broker URL has an empty port");
    }
    if (endpoint.host.empty() ||
        endpoint.host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos) {
      return Fail(error, "broker URL has an invalid IPv6 address");
    }
  } else {
    const auto colon = authority.find(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return Fail(error, "broker URL has an empty port");
    }
    if (endpoint.host.empty()) return Fail(error, "broker URL has no host");
    if (!std::all_of(endpoint.host.begin(), endpoint.host.end(), ValidHostChar)) {
      return Fail(error, "broker URL has an invalid host");
    }
  }
  if (endpoint.host.size() > 255) return Fail(error, "broker URL host is too long");

  endpoint.port = default_port;
  if (!port_text.empty()) {
    if (port_text.size() > 5 ||
        port_text.find_first_not_of("0123456789") != std::string_view::npos) {
      return Fail(error, "broker URL port must be a number between 1 and 65535");
    }
    const int port = std::stoi(std::string(port_text));
    if (port < 1 || port > 65535) {
      return Fail(error, "broker URL port must be a number between 1 and 65535");
    }
    endpoint.port = port;
  }
  endpoint.url = std::string(url);
  return endpoint;
}

std::string BrokerUrlOf(const Endpoint& endpoint) {
  const bool v6 = endpoint.host.find(':') != std::string::npos;
  return endpoint.protocol + "://" + (v6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" +
         std::to_string(endpoint.port);
}

}  // namespace switchboard::agent
