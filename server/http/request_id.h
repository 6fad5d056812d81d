// Request ids: what ties every log line about one request together, and what
// a client or proxy can quote to an operator.
//
// A client (or a proxy in front, e.g. nginx's $request_id) may send
// `X-Request-Id`. It is used as it is when well-formed: 1 to 128 characters,
// each an ASCII letter, digit or one of `-`, `_`, `.`, `:`. That covers
// UUIDs, nginx's 32 hex digits and most tracing ids, and keeps a hostile
// value out of the log (no space, quote, '=', control character or
// non-ASCII byte can reach a log line through it). Anything else (absent,
// empty, too long, another character) is replaced by a fresh id: 32
// lower-case hex digits (128 random bits; not a secret, so not from the
// CSPRNG). The server echoes the id in every response's `X-Request-Id`.
//
// Thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::http {

inline constexpr std::string_view kRequestIdHeader = "X-Request-Id";
inline constexpr std::size_t kMaxRequestIdLength = 128;

// True when `id` may be used as sent (see above).
bool IsWellFormedRequestId(std::string_view id);

// A fresh id: 32 lower-case hex digits.
std::string NewRequestId();

// `sent` when well-formed, else a fresh id.
std::string RequestIdFor(std::optional<std::string_view> sent);

}  // namespace switchboard::http
