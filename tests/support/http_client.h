// A deliberately small HTTP/1.1 client over POSIX sockets, for tests that
// must see exactly what goes over the wire: several requests on one
// connection, whether the server closes it, raw malformed input.
//
//   auto c = HttpConnection::Connect(port);
//   HttpResponse r = c->Request("GET", "/healthz");
//   c->SendRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
//   HttpResponse r2 = c->ReadResponse();
//   EXPECT_TRUE(c->WaitForClose());
//
// Responses are framed by Content-Length only (no chunked decoding); 1xx
// interim responses are returned like any other (read again for the final
// one). Everything throws std::runtime_error on failure or timeout. Not
// thread-safe: one connection per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  std::string reason;
  Headers headers;  // in order received
  std::string body;

  // The first header with this name (case-insensitive).
  std::optional<std::string> Header(std::string_view name) const;
};

class HttpConnection {
 public:
  // Connects to 127.0.0.1:`port`. `source`, when not empty, is the local
  // IPv4 address to connect from ("127.0.0.2": any 127/8 address works on
  // Linux), so a test can be several clients.
  static std::unique_ptr<HttpConnection> Connect(std::uint16_t port,
                                                 const std::string& source = {});
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  void SendRaw(std::string_view bytes);
  // Reads the next response. Throws when the connection ends first or
  // nothing complete arrives within `timeout`.
  HttpResponse ReadResponse(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // SendRaw(FormatRequest(...)) then ReadResponse().
  HttpResponse Request(std::string_view method, std::string_view target,
                       const Headers& headers = {}, std::string_view body = {});
  // True when the server closes the connection (EOF or reset) within
  // `timeout` with no further response bytes; false on timeout. Bytes that
  // do arrive are kept for ReadResponse() and make it return false.
  bool WaitForClose(std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  explicit HttpConnection(int fd) : fd_(fd) {}
  // Reads more bytes into buffer_; false on EOF/reset; throws on timeout.
  bool Fill(std::chrono::steady_clock::time_point deadline);

  int fd_;
  std::string buffer_;
};

// "METHOD target HTTP/1.1", Host, then `headers`, then Content-Length when
// `body` is not empty and no Content-Length or Transfer-Encoding is given.
std::string FormatRequest(std::string_view method, std::string_view target,
                          const Headers& headers = {}, std::string_view body = {});

// One request on a fresh connection, which is then dropped.
HttpResponse OneShot(std::uint16_t port, std::string_view method, std::string_view target,
                     const Headers& headers = {}, std::string_view body = {});

// OneShot from the local address `source` (see HttpConnection::Connect).
HttpResponse OneShotFrom(const std::string& source, std::uint16_t port, std::string_view method,
                         std::string_view target, const Headers& headers = {},
                         std::string_view body = {});

}  // namespace switchboard::testing
