#include "etag.h"

namespace switchboard::agent {
namespace {

// RFC 9110 etagc: %x21 / %x23-7E / obs-text. Non-ASCII (obs-text) is refused
// too: a version is what the server made, plain ASCII.
bool ValidTagText(std::string_view text) {
  if (text.empty() || text.size() > 256) return false;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x21 || byte > 0x7e || byte == '"') return false;
  }
  return true;
}

}  // namespace

std::string IfNoneMatchFor(std::string_view version) {
  if (!ValidTagText(version)) return "";
  // Appended, not "\"" + std::string(...): GCC 12 at -O3 reports a false
  // -Wrestrict inside operator+(const char*, std::string&&) (the Release
  // build scripts/package makes).
  std::string tag;
  tag.reserve(version.size() + 2);
  return tag.append(1, '"').append(version).append(1, '"');
}

std::string EntityTagOf(std::string_view etag_header) {
  std::string_view value = etag_header;
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.substr(0, 2) == "W/") value.remove_prefix(2);
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return "";
  value = value.substr(1, value.size() - 2);
  return ValidTagText(value) ? std::string(value) : "";
}

FetchVerdict ClassifyFetch(int status, std::string_view sent_if_none_match) {
  if (status == 200) return FetchVerdict::kChanged;
  if (status == 304 && !sent_if_none_match.empty()) return FetchVerdict::kNotModified;
  return FetchVerdict::kRetry;
}

}  // namespace switchboard::agent
