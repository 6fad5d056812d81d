// Request and Response: what a route handler sees and returns.
//
// Handlers never touch Pistache: they get a Request (already routed, body
// complete, percent-decoding done) and return a Response by value, which the
// server sends exactly once. A handler signals an error by throwing ApiError
// (api_error.h); any other exception becomes 500 "internal error".
//
// Both are plain values: a Request is only read by the handler thread that
// received it; build either freely in unit tests.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/json.h"

namespace switchboard::http {

inline constexpr std::string_view kJsonContentType = "application/json";

class Completion;

class Request {
 public:
  Request() = default;
  // For tests and the server: method ("GET"), path without the query string.
  Request(std::string method, std::string path, std::string body = {})
      : method_(std::move(method)), path_(std::move(path)), body_(std::move(body)) {}

  const std::string& method() const { return method_; }
  const std::string& path() const { return path_; }
  // The route pattern that matched, e.g. "/api/v1/devices/:uuid".
  const std::string& route() const { return route_; }
  const std::string& body() const { return body_; }
  // The TCP peer's address ("127.0.0.1"), never a forwarded header.
  const std::string& remote_address() const { return remote_address_; }
  // The client's address: the peer, or, when the peer is one of the
  // server's trusted proxies, what its X-Forwarded-For says
  // (client_address.h). Use this one for rate limits and logs. Falls back to
  // remote_address() when the server has not set it (requests built in
  // tests).
  const std::string& client_address() const {
    return client_address_.empty() ? remote_address_ : client_address_;
  }
  // The request's id (request_id.h): the client's X-Request-Id when
  // well-formed, else made up. Echoed in the response; on every log line.
  const std::string& request_id() const { return request_id_; }

  // A path parameter by name without the colon ("uuid" for ":uuid"),
  // percent-decoded. Throws std::out_of_range when the route has no such
  // parameter (a programming error, so it ends as a 500).
  const std::string& PathParam(std::string_view name) const;

  // A query parameter, percent-decoded ('+' is a space); the first wins when
  // repeated. std::nullopt when absent.
  std::optional<std::string_view> Query(std::string_view name) const;

  // A request header, case-insensitive; the first wins when repeated.
  std::optional<std::string_view> Header(std::string_view name) const;

  // The body parsed as a JSON object (JsonDocument::ParseObject). Throws
  // ApiError 400. Each call parses again: keep the result.
  JsonDocument JsonBody() const;

  // Builders (the server and tests).
  Request& SetRoute(std::string route);
  Request& SetBody(std::string body);
  Request& SetRemoteAddress(std::string address);
  Request& SetClientAddress(std::string address);
  Request& SetRequestId(std::string id);
  Request& AddPathParam(std::string name, std::string value);
  Request& AddQuery(std::string name, std::string value);
  Request& AddHeader(std::string name, std::string value);

 private:
  std::string method_;
  std::string path_;
  std::string route_;
  std::string body_;
  std::string remote_address_;
  std::string client_address_;
  std::string request_id_;
  std::map<std::string, std::string, std::less<>> path_params_;
  std::map<std::string, std::string, std::less<>> query_;
  std::map<std::string, std::string, std::less<>> headers_;  // lower-case names
};

class Response {
 public:
  Response() = default;
  Response(int status, std::string content_type, std::string body)
      : status_(status), content_type_(std::move(content_type)), body_(std::move(body)) {}

  // `body` must be a JSON text (e.g. from JsonWriter::Take()).
  static Response Json(int status, std::string body) {
    return Response(status, std::string(kJsonContentType), std::move(body));
  }
  static Response Text(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8") {
    return Response(status, std::move(content_type), std::move(body));
  }
  // 204, no body and no content type.
  static Response NoContent() { return Response(204, "", ""); }

  // A response another thread completes later, so that slow CPU work (a
  // password hash check) does not hold the worker thread and every other
  // connection on it. The server calls `start` on the worker thread right
  // after the handler returns; `start` hands the Completion on (e.g. to a
  // BoundedWorkPool job), which calls it once with the real response. The
  // worker meanwhile serves other connections; a request pipelined behind
  // this one on the same connection waits, so responses keep their order.
  // Exceptions thrown by `start` become 500 "internal error".
  static Response Deferred(std::function<void(Completion)> start);
  bool deferred() const { return static_cast<bool>(start_); }
  // The server's side: takes the start function out.
  std::function<void(Completion)> TakeDeferred() { return std::move(start_); }

  // Adds a header. The server owns Content-Length, Content-Type (use the
  // constructor), Connection and Transfer-Encoding, and drops those names
  // here, as it drops any name or value that contains CR, LF or NUL.
  Response& SetHeader(std::string name, std::string value);

  int status() const { return status_; }
  const std::string& content_type() const { return content_type_; }
  const std::string& body() const { return body_; }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }

 private:
  int status_ = 200;
  std::string content_type_;
  std::string body_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::function<void(Completion)> start_;
};

// Completes one deferred request (Response::Deferred). A copyable handle:
// call it once, from any thread, with the response to send; later calls are
// ignored. When the last copy is destroyed uncalled, the client gets 500
// "internal error", so no request is ever left hanging. After
// HttpServer::Shutdown() a call sends nothing.
class Completion {
 public:
  struct State;  // the server's (connection_handler.cc)
  explicit Completion(std::shared_ptr<State> state) : state_(std::move(state)) {}
  void operator()(Response response) const;

 private:
  std::shared_ptr<State> state_;
};

// A route handler. Runs on a server worker thread, concurrently with other
// handlers (and with itself): it must be thread-safe. It blocks every other
// connection of its worker while it runs, so keep it short (or return a
// Response::Deferred and finish elsewhere).
using Handler = std::function<Response(const Request&)>;

// Sees every response the server sends: the route pattern ("unmatched" for
// 404s and for requests refused before routing: 413, malformed HTTP), the
// method ("OTHER" when unknown), the status and the time spent from the
// complete request to the queued response. Called concurrently on worker
// threads: must be thread-safe, fast, and must not throw.
using RequestObserver = std::function<void(std::string_view route, std::string_view method,
                                           int status, std::chrono::nanoseconds duration)>;

// One answered request, for the request log: the route pattern (as for the
// observer), the method, the status, the time from the complete request to
// the queued response, the request id and the TCP peer's address.
struct RequestRecord {
  std::string_view route;
  std::string_view method;
  int status = 0;
  std::chrono::nanoseconds duration{0};
  std::string_view request_id;
  std::string_view remote;
};

// Writes the request log (one line per response). Called concurrently on
// worker threads and on threads that complete deferred responses: must be
// thread-safe and must not throw. The views live for the call only.
using RequestLog = std::function<void(const RequestRecord& record)>;

// Decodes %XX escapes (and '+' as a space when `plus_is_space`). Returns
// std::nullopt on a malformed escape or a decoded NUL byte.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// True when `value` is "application/json", optionally with parameters, of
// which a charset must be utf-8 (case-insensitive, quotes allowed).
bool IsJsonContentType(std::string_view value);

}  // namespace switchboard::http
