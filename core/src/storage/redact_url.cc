#include "storage/redact_url.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

namespace switchboard {
namespace {

constexpr std::string_view kMask = "***";

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

struct Span {
  std::size_t begin;
  std::size_t end;
};

std::string ReplaceSpans(std::string_view text, const std::vector<Span>& spans) {
  std::string out;
  std::size_t at = 0;
  for (const Span& span : spans) {
    out.append(text.substr(at, span.begin - at));
    out.append(kMask);
    at = span.end;
  }
  out.append(text.substr(at));
  return out;
}

// libpq's conninfo_parse: the spans of every password value (quotes
// included), or std::nullopt when libpq would refuse the text.
std::optional<std::vector<Span>> KeyValuePasswords(std::string_view text) {
  std::vector<Span> spans;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (true) {
    while (i < n && IsSpace(text[i])) ++i;
    if (i == n) return spans;
    const std::size_t key_begin = i;
    while (i < n && !IsSpace(text[i]) && text[i] != '=') ++i;
    const std::string_view key = text.substr(key_begin, i - key_begin);
    // libpq's keywords are [a-z_]+; anything else is "invalid connection
    // option" (and likely a URI written without its second scheme).
    for (char c : key) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return std::nullopt;
    }
    while (i < n && IsSpace(text[i])) ++i;
    if (i == n || text[i] != '=') return std::nullopt;  // missing "="
    ++i;
    while (i < n && IsSpace(text[i])) ++i;
    const std::size_t value_begin = i;
    if (i < n && text[i] == '\'') {
      ++i;
      bool closed = false;
      while (i < n) {
        if (text[i] == '\\') {
          i += 2;
          continue;
        }
        if (text[i] == '\'') {
          ++i;
          closed = true;
          break;
        }
        ++i;
      }
      if (!closed) return std::nullopt;  // unterminated quoted string
      i = std::min(i, n);
    } else {
      while (i < n && !IsSpace(text[i])) i += text[i] == '\\' ? 2 : 1;
      i = std::min(i, n);
    }
    if (EqualsIgnoreCase(key, "password")) spans.push_back({value_begin, i});
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = HexValue(text[i + 1]), low = HexValue(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out += static_cast<char>(high * 16 + low);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

// libpq's conninfo_uri_parse: `scheme://[user[:password]@]hosts[/db][?k=v&…]`.
// The spans of the password in the userinfo and of every `password` query
// value; `text` starts with the scheme.
std::vector<Span> UriPasswords(std::string_view text) {
  std::vector<Span> spans;
  std::size_t start = text.find("://");
  start = start == std::string_view::npos ? 0 : start + 3;
  // The userinfo ends at the first '@' before any '/' (libpq's rule).
  std::size_t p = start;
  while (p < text.size() && text[p] != '@' && text[p] != '/' && text[p] != '?') ++p;
  if (p < text.size() && text[p] == '@') {
    const std::size_t colon = text.substr(start, p - start).find(':');
    if (colon != std::string_view::npos) spans.push_back({start + colon + 1, p});
  }
  const std::size_t query = text.find('?', p);
  if (query == std::string_view::npos) return spans;
  std::size_t i = query + 1;
  while (i <= text.size()) {
    std::size_t end = text.find('&', i);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view pair = text.substr(i, end - i);
    const std::size_t equals = pair.find('=');
    if (equals != std::string_view::npos &&
        EqualsIgnoreCase(PercentDecoded(pair.substr(0, equals)), "password")) {
      spans.push_back({i + equals + 1, end});
    }
    i = end + 1;
  }
  return spans;
}

}  // namespace

std::string RedactDatabaseUrl(std::string_view url) {
  constexpr std::string_view kPostgres = "postgresql://";
  if (!StartsWithIgnoreCase(url, kPostgres)) return std::string(url);
  const std::string_view rest = url.substr(kPostgres.size());
  // What SOCI hands libpq: a URI of its own, or key=value pairs.
  if (StartsWithIgnoreCase(rest, "postgresql://") || StartsWithIgnoreCase(rest, "postgres://")) {
    return std::string(kPostgres) + ReplaceSpans(rest, UriPasswords(rest));
  }
  if (const auto spans = KeyValuePasswords(rest)) {
    return std::string(kPostgres) + ReplaceSpans(rest, *spans);
  }
  // Written as a URI without a second scheme (`postgresql://u:p@h/db`):
  // libpq refuses it as key=value, but it is plain which part is the
  // password, as long as no space, quote or backslash comes before the `@`.
  const std::size_t at = rest.find('@');
  const std::size_t odd = rest.find_first_of(" \t\r\n\f\v'\\");
  if (odd == std::string_view::npos || (at != std::string_view::npos && at < odd)) {
    return ReplaceSpans(url, UriPasswords(url));
  }
  return std::string(kPostgres) + std::string(kMask);
}

}  // namespace switchboard
