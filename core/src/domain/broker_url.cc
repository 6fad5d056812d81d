// BrokerUrl, ParseBrokerUrl and DescribeBroker (declared in
// switchboard/broker.h). Part of libswitchboard_sdk.so (core/CMakeLists.txt).
//
// The parser is hand-written rather than a general URI library because the
// accepted language is small and every rejection needs a message an operator
// can act on. Error messages never quote the URL: it may carry a password.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "switchboard/broker.h"

namespace switchboard {
namespace {

constexpr std::size_t kMaxUrlLength = 2048;
constexpr std::size_t kMaxHostLength = 253;  // DNS limit

struct Scheme {
  std::string_view name;
  int default_port;
  bool tls;
  bool websocket;
};

constexpr Scheme kSchemes[] = {
    {"mqtt", 1883, false, false},
    {"mqtts", 8883, true, false},
    {"ws", 80, false, true},
    {"wss", 443, true, true},
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsWebSocket(std::string_view protocol) { return protocol == "ws" || protocol == "wss"; }

std::optional<BrokerConfig> Fail(std::string* error, std::string message) {
  if (error != nullptr) *error = "invalid broker URL: " + std::move(message);
  return std::nullopt;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Percent-decodes user info (RFC 3986 §2.1). NUL is refused: MQTT strings
// cannot carry it and C-string consumers would truncate silently.
bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = HexValue(in[i + 1]);
    int lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return false;
    out->push_back(static_cast<char>(hi << 4 | lo));
    i += 2;
  }
  return true;
}

// Host names as DNS and /etc/hosts use them; '_' is tolerated because
// container and compose service names contain it.
bool IsHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

// Only safe-looking schemes are echoed back in errors.
std::string QuotedScheme(std::string_view scheme) {
  bool plain =
      !scheme.empty() && scheme.size() <= 16 &&
      std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '.' || c == '-';
      });
  return plain ? " '" + std::string(scheme) + "'" : std::string();
}

}  // namespace

std::string BrokerUrl(const BrokerConfig& broker) {
  // Built in one buffer: every config fetch writes one URL per endpoint.
  const std::string port = std::to_string(broker.port);
  std::string url;
  url.reserve(broker.protocol.size() + broker.host.size() + port.size() + broker.path.size() + 8);
  url += broker.protocol;
  for (char& c : url) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');  // ASCII, as in the C locale
  }
  const bool web_socket = IsWebSocket(url);
  url += "://";
  bool needs_brackets = broker.host.find(':') != std::string::npos && broker.host.front() != '[';
  if (needs_brackets) url += '[';
  url += broker.host;
  if (needs_brackets) url += ']';
  url += ':';
  url += port;
  if (web_socket && !broker.path.empty()) {
    if (broker.path.front() != '/') url += '/';
    url += broker.path;
  }
  return url;
}

std::optional<BrokerConfig> ParseBrokerUrl(const std::string& url, std::string* error) {
  if (url.empty()) return Fail(error, "empty");
  if (url.size() > kMaxUrlLength) {
    return Fail(error, "longer than " + std::to_string(kMaxUrlLength) + " characters");
  }
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return Fail(error, "contains a space or a control character");
    if (u >= 0x80) return Fail(error, "contains a non-ASCII character (use punycode host names)");
  }

  std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return Fail(error, "no scheme (expected mqtt://, mqtts://, ws:// or wss://)");
  }
  std::string scheme = Lower(std::string_view(url).substr(0, scheme_end));
  const Scheme* known = nullptr;
  for (const Scheme& s : kSchemes) {
    if (s.name == scheme) known = &s;
  }
  if (known == nullptr) {
    return Fail(error,
                "unknown scheme" + QuotedScheme(scheme) + " (expected mqtt, mqtts, ws or wss)");
  }

  std::string_view rest = std::string_view(url).substr(scheme_end + 3);
  if (rest.find('?') != std::string_view::npos) {
    return Fail(error, "a query ('?') is not supported (percent-encode '?' in a password)");
  }
  if (rest.find('#') != std::string_view::npos) {
    return Fail(error, "a fragment ('#') is not supported (percent-encode '#' in a password)");
  }

  std::size_t authority_end = rest.find('/');
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view path =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);

  BrokerConfig broker;
  broker.name = "env";
  broker.protocol = std::string(known->name);
  broker.port = known->default_port;
  broker.use_tls = known->tls;
  broker.from_storage = false;

  // The last '@' separates user info: a host never contains one, and taking
  // the last tolerates an unencoded '@' in a password.
  std::size_t at = authority.rfind('@');
  std::string_view host_port = authority;
  if (at != std::string_view::npos) {
    std::string_view user_info = authority.substr(0, at);
    host_port = authority.substr(at + 1);
    std::size_t colon = user_info.find(':');
    std::string_view user = user_info.substr(0, colon);
    if (user.empty()) return Fail(error, "empty user name before '@'");
    if (!PercentDecode(user, &broker.username)) {
      return Fail(error, "bad percent-encoding in the user name");
    }
    if (colon != std::string_view::npos &&
        !PercentDecode(user_info.substr(colon + 1), &broker.password)) {
      return Fail(error, "bad percent-encoding in the password");
    }
  }

  if (host_port.empty()) return Fail(error, "no host");
  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (host_port.front() == '[') {
    std::size_t close = host_port.find(']');
    if (close == std::string_view::npos) return Fail(error, "unbalanced '[' in the host");
    host = host_port.substr(1, close - 1);
    if (host.empty()) return Fail(error, "empty IPv6 address in brackets");
    if (host.size() >= INET6_ADDRSTRLEN) return Fail(error, "invalid IPv6 address in brackets");
    std::string literal(host);
    unsigned char scratch[16];
    if (inet_pton(AF_INET6, literal.c_str(), scratch) != 1) {
      return Fail(error, "invalid IPv6 address in brackets");
    }
    std::string_view after = host_port.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Fail(error, "unexpected characters after ']'");
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    if (host_port.find_first_of("[]") != std::string_view::npos) {
      return Fail(error, "unbalanced ']' in the host");
    }
    std::size_t colon = host_port.find(':');
    if (colon != std::string_view::npos &&
        host_port.find(':', colon + 1) != std::string_view::npos) {
      return Fail(error, "IPv6 addresses must be in brackets, e.g. mqtt://[::1]:1883");
    }
    host = host_port.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = host_port.substr(colon + 1);
    }
    if (host.empty()) return Fail(error, "no host");
    if (host.size() > kMaxHostLength) {
      return Fail(error, "host longer than " + std::to_string(kMaxHostLength) + " characters");
    }
    if (!std::all_of(host.begin(), host.end(), IsHostChar)) {
      return Fail(error, "invalid character in the host");
    }
  }
  broker.host = std::string(host);

  if (has_port) {
    if (port_text.empty()) return Fail(error, "empty port after ':'");
    if (!std::all_of(port_text.begin(), port_text.end(),
                     [](char c) { return c >= '0' && c <= '9'; })) {
      return Fail(error, "port is not a number");
    }
    long port = 0;
    for (char c : port_text) {
      port = port * 10 + (c - '0');
      if (port > 65535) break;  // stop before any overflow; reported below
    }
    if (port < 1 || port > 65535) return Fail(error, "port out of range 1..65535");
    broker.port = static_cast<int>(port);
  }

  if (known->websocket) {
    broker.path = std::string(path);
  } else if (!path.empty() && path != "/") {
    return Fail(error, "mqtt:// and mqtts:// URLs take no path (a path needs ws:// or wss://)");
  }
  return broker;
}

std::string DescribeBroker(const BrokerConfig& broker) {
  std::string out = "'" + broker.name + "'";
  if (broker.id != 0) out += " (id " + std::to_string(broker.id) + ")";
  return out;
}

}  // namespace switchboard
