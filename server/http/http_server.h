// HttpServer: the Pistache endpoint and router behind one small interface.
//
// Typical use (see signals.h for main()):
//   HttpServer server(options, logger);
//   server.Get("/api/v1/devices/:uuid", [&](const Request& r) {
//     return Response::Json(200, LookUp(r.PathParam("uuid")));
//   });
//   server.Post("/api/v1/fleets", CreateFleet);  // body must be JSON (415 otherwise)
//   server.Serve();                              // returns at once
//   ...
//   server.Shutdown();  // drains in-flight requests, then stops every thread
//
// What the server does for every request, so handlers need not:
//   - answers 404 (unknown path) and 405 with an Allow header (known path,
//     other method) as JSON errors;
//   - refuses bodies over max_body_bytes with 413 before reading them, and
//     closes that connection;
//   - answers 415 when a JSON route gets a non-empty body whose Content-Type
//     is not application/json (a charset, if given, must be utf-8);
//   - turns ApiError into its JSON body and status, and any other exception
//     into 500 "internal error" (the exception text is logged, never sent);
//   - keeps HTTP/1.1 connections open unless the client sends
//     `Connection: close` (then answers and closes), HTTP/1.0 ones only on
//     `Connection: keep-alive`;
//   - answers `Expect: 100-continue`, serves pipelined requests in order;
//   - gives each request an id (request_id.h), echoed in `X-Request-Id` and
//     set on the handler's thread (ScopedRequestId, util/log.h) so every
//     log line written for the request carries it.
//
// Threads: configure (routes, observer) from one thread before Serve();
// after Serve() routes never change. Handlers run on the worker threads.
// Serve(), port() and Shutdown() are for the owning thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "http/http_message.h"
#include "switchboard/logger.h"

namespace Pistache::Http {
class Endpoint;
}

namespace switchboard::http {

namespace internal {
struct ServerState;
}

struct HttpServerOptions {
  // "host:port" (IPv6 as "[::]:4002"). Port 0 picks a free port: read port()
  // after Serve(). Default: 0.0.0.0:4002.
  std::string address = "0.0.0.0:4002";
  // Worker threads. A connection stays on one worker, and a handler blocks
  // every connection of its worker while it runs. Default: 2.
  int threads = 2;
  // Largest request body. Larger: 413, connection closed. Default: 64 KiB.
  std::size_t max_body_bytes = 64 * 1024;
  // Largest request line + headers. Larger: 413, connection closed.
  // Default: 8 KiB.
  std::size_t max_header_bytes = 8 * 1024;
  // Pistache's timeouts, checked every 500 ms. A connection that does not
  // deliver its first request's line and headers within header_timeout, or
  // a body within body_timeout, gets 408 and is closed; an idle keep-alive
  // connection is closed after keepalive_timeout (this also bounds a slow
  // request on a connection that already served one).
  // Defaults: 10 s, 30 s, 75 s.
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds keepalive_timeout{75'000};
  // How long Shutdown() waits for in-flight requests. Default: 10 s.
  std::chrono::milliseconds drain_timeout{10'000};
  // PEM files; both set for HTTPS, both empty for plain HTTP. TLS handshakes
  // run on Pistache's single accept thread: one slow handshake delays new
  // connections, so production should terminate TLS in a proxy.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Proxies whose X-Forwarded-For is believed: addresses or CIDR ranges
  // ("10.0.0.0/8", "::1"). Decides Request::client_address()
  // (client_address.h). Default: none, so the client is always the peer.
  std::vector<std::string> trusted_proxies;
  // Connections held at once. A connection beyond it is answered at accept
  // with 503 `unavailable` (JSON, `Retry-After: 1`, `Connection: close`),
  // whatever it sends, and closed at once, so its descriptor is free again
  // and the descriptors below the process's limit stay available to
  // storage. Counted by the ConnectionObserver. 0: no cap (connections
  // beyond the descriptor limit then wait in the kernel's listen backlog).
  // Default: 0; `serve` sets server.max_connections (config.h).
  std::size_t max_connections = 0;
};

// Sees every connection open (`opened` true) and close (false); `refused`
// is true for a new connection over HttpServerOptions::max_connections
// (answered 503 and closed; its close is seen too). Called concurrently on
// worker threads: must be thread-safe, fast, and must not throw.
using ConnectionObserver = std::function<void(bool opened, bool refused)>;

// How a route treats the request body.
enum class Body {
  kJson,  // a non-empty body must be application/json, else 415
  kAny,   // no check
};

class HttpServer {
 public:
  // `logger` must outlive the server; it gets handler exceptions (as text)
  // and internal errors. Throws std::invalid_argument on bad options.
  HttpServer(HttpServerOptions options, Logger& logger);
  // Shuts down (with draining) if still serving.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Routes use Pistache's syntax: fixed segments and ":name" parameters
  // (read with Request::PathParam("name")). A fixed segment wins over a
  // parameter ("/brokers/summary" before "/brokers/:id"). Optional ("?") and
  // splat ("*") segments are not supported. Throws std::invalid_argument on
  // a malformed or duplicate route, std::logic_error after Serve().
  void Get(const std::string& pattern, Handler handler);
  void Post(const std::string& pattern, Handler handler, Body body = Body::kJson);
  void Put(const std::string& pattern, Handler handler, Body body = Body::kJson);
  void Patch(const std::string& pattern, Handler handler, Body body = Body::kJson);
  void Delete(const std::string& pattern, Handler handler);
  // Any method name Pistache knows: GET POST PUT PATCH DELETE HEAD OPTIONS
  // TRACE CONNECT.
  void Route(const std::string& method, const std::string& pattern, Handler handler, Body body);

  // Sees every response (see RequestObserver). Set before Serve().
  void SetRequestObserver(RequestObserver observer);
  // Writes one line per response (see RequestLog). Set before Serve().
  // Unset: no request log.
  void SetRequestLog(RequestLog log);
  // Sees every connection open and close (see ConnectionObserver). Set
  // before Serve().
  void SetConnectionObserver(ConnectionObserver observer);

  // Binds and starts the accept thread and the workers; returns at once.
  // Throws std::runtime_error when it cannot listen (address in use, bad
  // TLS files), std::logic_error when called twice or with no route.
  void Serve();

  // The bound port (the real one when the address asked for port 0). 0
  // before Serve().
  std::uint16_t port() const { return port_; }

  // Stops serving. New requests get 503 `unavailable` with
  // `Connection: close`; requests already in handlers finish and their
  // responses are written (waiting at most drain_timeout for that); then the
  // endpoint stops and every Pistache thread is joined, which also waits for
  // a handler still running past the timeout (its response is dropped). When
  // it returns, no handler runs and none will, so what handlers use may be
  // destroyed. Idempotent. Pistache's own shutdown() does none of this
  // (upstream #1018): it only signals its threads.
  void Shutdown();

 private:
  struct RouteSpec {
    std::string method;
    Handler handler;
    Body body;
  };
  void Install();

  const HttpServerOptions options_;
  Logger& logger_;
  std::shared_ptr<internal::ServerState> state_;
  // pattern -> routes by method, in registration order.
  std::map<std::string, std::vector<RouteSpec>> routes_;
  std::map<std::string, std::string> shapes_;  // "/a/:" -> pattern, for clashes
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
  std::uint16_t port_ = 0;
  bool served_ = false;
};

}  // namespace switchboard::http
