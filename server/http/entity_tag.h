// Entity tags and `If-None-Match` (RFC 9110 §8.8.3, §13.1.2), for the
// device's config fetch (`ETag: "<configVersion>"`).
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace switchboard::http {

// `"<opaque>"`: a strong entity tag. `opaque` must hold only characters an
// entity tag allows (the configVersion is hex).
std::string StrongEntityTag(std::string_view opaque);

// True when an `If-None-Match` header value matches the current strong tag
// `etag` (quotes included), so a GET answers 304:
//   - `*` matches (the representation exists);
//   - otherwise a comma-separated list of entity tags, matched by weak
//     comparison as RFC 9110 requires for If-None-Match: `W/"x"` matches
//     `"x"`;
//   - members that are not entity tags are skipped (never a match); an
//     empty or malformed header matches nothing, so the client gets the 200.
bool IfNoneMatchMatches(std::string_view header, std::string_view etag);

}  // namespace switchboard::http
