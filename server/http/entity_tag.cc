#include "http/entity_tag.h"

namespace switchboard::http {
namespace {

bool IsOws(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

// etagc = %x21 / %x23-7E / obs-text
bool IsEtagChar(unsigned char c) { return c == 0x21 || (c >= 0x23 && c != 0x7F); }

}  // namespace

std::string StrongEntityTag(std::string_view opaque) {
  std::string out;
  out.reserve(opaque.size() + 2);
  out.append(1, '"').append(opaque).append(1, '"');
  return out;
}

bool IfNoneMatchMatches(std::string_view header, std::string_view etag) {
  const std::string_view value = Trim(header);
  if (value == "*") return true;
  // A comma may appear inside a quoted tag, so members are found by their
  // quotes, not by splitting on commas.
  std::size_t at = 0;
  while (at < value.size()) {
    while (at < value.size() && (IsOws(value[at]) || value[at] == ',')) ++at;
    if (at >= value.size()) break;
    if (value.compare(at, 2, "W/") == 0) at += 2;
    if (at < value.size() && value[at] == '"') {
      const std::size_t open = at++;
      while (at < value.size() && value[at] != '"' &&
             IsEtagChar(static_cast<unsigned char>(value[at]))) {
        ++at;
      }
      if (at < value.size() && value[at] == '"') {
        if (value.substr(open, at + 1 - open) == etag) return true;
        ++at;
        continue;
      }
    }
    // Not an entity tag: skip to the next member.
    while (at < value.size() && value[at] != ',') ++at;
  }
  return false;
}

}  // namespace switchboard::http
