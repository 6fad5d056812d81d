#include "http/request_head.h"

namespace switchboard::http::internal {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (EqualsIgnoreCase(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Plain decimal digits only: "+5", "5 5", "0x10" and 20-digit values are
// malformed rather than guessed at.
std::optional<std::uint64_t> ParseLength(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

}  // namespace

std::optional<RequestHead> ParseRequestHead(std::string_view head) {
  RequestHead out;
  size_t line_end = head.find("\r\n");
  if (line_end == std::string_view::npos || line_end == 0) return std::nullopt;
  const std::string_view request_line = head.substr(0, line_end);
  out.method = std::string(request_line.substr(0, request_line.find(' ')));
  if (out.method.empty()) return std::nullopt;  // " GET / HTTP/1.1": no method token
  const size_t last_space = request_line.rfind(' ');
  out.http10 =
      last_space != std::string_view::npos && request_line.substr(last_space + 1) == "HTTP/1.0";

  size_t pos = line_end + 2;
  while (pos < head.size()) {
    line_end = head.find("\r\n", pos);
    if (line_end == std::string_view::npos) line_end = head.size();
    const std::string_view line = head.substr(pos, line_end - pos);
    pos = line_end + 2;
    if (line.empty()) break;  // end of the head
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "content-length")) {
      const std::optional<std::uint64_t> length = ParseLength(value);
      if (!length) return std::nullopt;
      if (out.content_length && *out.content_length != *length) return std::nullopt;
      out.content_length = length;
    } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
      out.chunked = out.chunked || ContainsIgnoreCase(value, "chunked");
      if (!out.chunked) return std::nullopt;  // Pistache knows no other coding
    } else if (EqualsIgnoreCase(name, "expect")) {
      out.expect_continue = EqualsIgnoreCase(value, "100-continue");
    } else if (EqualsIgnoreCase(name, "x-forwarded-for")) {
      if (out.forwarded_for_lines++ > 0) out.forwarded_for += ", ";
      out.forwarded_for += value;
    }
  }
  if (out.chunked && out.content_length) return std::nullopt;
  return out;
}

std::string_view MethodLabel(std::string_view method) {
  static constexpr std::string_view kKnown[] = {"GET",  "POST",    "PUT",   "DELETE", "PATCH",
                                                "HEAD", "OPTIONS", "TRACE", "CONNECT"};
  for (std::string_view known : kKnown) {
    if (method == known) return known;
  }
  return "OTHER";
}

}  // namespace switchboard::http::internal
