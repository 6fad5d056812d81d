// The little of a request head the connection handler must know before
// Pistache parses the body: the framing (Content-Length or chunked), whether
// the client waits for `100 Continue`, and the method and version for an
// early error response. Internal to the HTTP layer; pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::http::internal {

struct RequestHead {
  std::string method;  // as sent ("GET")
  bool http10 = false;
  std::optional<std::uint64_t> content_length;
  bool chunked = false;
  bool expect_continue = false;
  // The values of every X-Forwarded-For line, joined with ", " in order
  // (Pistache keeps only the first line of a repeated header); the number
  // of such lines.
  std::string forwarded_for;
  int forwarded_for_lines = 0;
};

// Parses `head`: the request line and header lines, each ending in CRLF, up
// to the blank line. Returns std::nullopt when the framing is ambiguous or
// malformed, which a server must refuse (RFC 9112 §6.3): a Content-Length
// that is not a plain decimal number, several Content-Length headers that
// disagree, Content-Length together with Transfer-Encoding, a header line
// without a colon, or a request line that is empty or does not start with
// a method.
std::optional<RequestHead> ParseRequestHead(std::string_view head);

// `method` if it is one Pistache knows (GET, POST, ...), else "OTHER": a safe
// metrics label.
std::string_view MethodLabel(std::string_view method);

}  // namespace switchboard::http::internal
