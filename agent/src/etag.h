// Conditional fetches of GET /api/v1/device/{uuid}/mqtt. The server sends
// the config's `configVersion` as a strong entity tag (`ETag: "<version>"`)
// and answers `If-None-Match: "<version>"` with 304 while it is current.
// A server without that support ignores the header and answers 200: the
// agent then compares contents (DeviceConfig::SameAs). Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace switchboard::agent {

// The If-None-Match value for `version` (`"<version>"`), or "" when there is
// nothing to send: no version, or one that is not a valid entity tag
// (RFC 9110: printable ASCII other than `"`, no spaces).
std::string IfNoneMatchFor(std::string_view version);

// The opaque tag of an ETag header value: `"abc"` and `W/"abc"` give `abc`;
// anything else (no quotes, a list, control characters) gives "".
std::string EntityTagOf(std::string_view etag_header);

// What one conditional fetch came to.
enum class FetchVerdict {
  kChanged,      // 200 with a config: apply it when it differs
  kNotModified,  // 304 to our If-None-Match: keep the current config
  kRetry,        // anything else: keep the current config, retry with backoff
};

// Classifies a response status. A 304 counts only when an If-None-Match was
// sent (`sent_if_none_match` not empty); one we did not ask for is a server
// fault (kRetry).
FetchVerdict ClassifyFetch(int status, std::string_view sent_if_none_match);

}  // namespace switchboard::agent
