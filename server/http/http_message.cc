#include "http/http_message.h"

#include <stdexcept>

namespace switchboard::http {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// ASCII case-insensitive; `lower` is lowercase already.
bool EqualsLower(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != lower[i]) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSafeHeaderText(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

}  // namespace

const std::string& Request::PathParam(std::string_view name) const {
  const auto it = path_params_.find(name);
  if (it == path_params_.end()) {
    throw std::out_of_range("route " + route_ + " has no parameter " + std::string(name));
  }
  return it->second;
}

std::optional<std::string_view> Request::Query(std::string_view name) const {
  const auto it = query_.find(name);
  if (it == query_.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::optional<std::string_view> Request::Header(std::string_view name) const {
  const auto it = headers_.find(Lower(name));
  if (it == headers_.end()) return std::nullopt;
  return std::string_view(it->second);
}

JsonDocument Request::JsonBody() const { return JsonDocument::ParseObject(body_); }

Request& Request::SetRoute(std::string route) {
  route_ = std::move(route);
  return *this;
}
Request& Request::SetBody(std::string body) {
  body_ = std::move(body);
  return *this;
}
Request& Request::SetRemoteAddress(std::string address) {
  remote_address_ = std::move(address);
  return *this;
}
Request& Request::SetClientAddress(std::string address) {
  client_address_ = std::move(address);
  return *this;
}
Request& Request::SetRequestId(std::string id) {
  request_id_ = std::move(id);
  return *this;
}
Request& Request::AddPathParam(std::string name, std::string value) {
  path_params_.emplace(std::move(name), std::move(value));
  return *this;
}
Request& Request::AddQuery(std::string name, std::string value) {
  query_.emplace(std::move(name), std::move(value));
  return *this;
}
Request& Request::AddHeader(std::string name, std::string value) {
  headers_.emplace(Lower(name), std::move(value));
  return *this;
}

Response Response::Deferred(std::function<void(Completion)> start) {
  if (!start) throw std::invalid_argument("Response::Deferred needs a start function");
  Response response(200, "", "");
  response.start_ = std::move(start);
  return response;
}

Response& Response::SetHeader(std::string name, std::string value) {
  const bool reserved = EqualsLower(name, "content-length") || EqualsLower(name, "content-type") ||
                        EqualsLower(name, "connection") || EqualsLower(name, "transfer-encoding");
  if (reserved || name.empty() || !IsSafeHeaderText(name) || !IsSafeHeaderText(value)) {
    return *this;
  }
  headers_.emplace_back(std::move(name), std::move(value));
  return *this;
}

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = HexValue(text[i + 1]);
      const int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return std::nullopt;
      out.push_back(decoded);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool IsJsonContentType(std::string_view value) {
  const size_t semicolon = value.find(';');
  if (Lower(Trim(value.substr(0, semicolon))) != kJsonContentType) return false;
  std::string_view params = semicolon == std::string_view::npos ? "" : value.substr(semicolon + 1);
  while (!params.empty()) {
    const size_t next = params.find(';');
    const std::string_view param = Trim(params.substr(0, next));
    params = next == std::string_view::npos ? "" : params.substr(next + 1);
    const size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    if (Lower(Trim(param.substr(0, eq))) != "charset") continue;
    std::string_view charset = Trim(param.substr(eq + 1));
    if (charset.size() >= 2 && charset.front() == '"' && charset.back() == '"') {
      charset = charset.substr(1, charset.size() - 2);
    }
    if (Lower(charset) != "utf-8") return false;
  }
  return true;
}

}  // namespace switchboard::http
