// libFuzzer target: the request-head framing of the HTTP layer
// (server/http/request_head.h), which decides where a request ends before
// Pistache sees it. Checks: never both Content-Length and chunked (that
// framing is refused), and MethodLabel always gives a bounded label.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/request_head.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view head(reinterpret_cast<const char*>(data), size);
  const auto parsed = switchboard::http::internal::ParseRequestHead(head);
  if (parsed) {
    if (parsed->content_length && parsed->chunked) std::abort();
    if (parsed->method.empty()) std::abort();
    const std::string_view label = switchboard::http::internal::MethodLabel(parsed->method);
    if (label.empty() || label.size() > 8) std::abort();
  }
  return 0;
}
