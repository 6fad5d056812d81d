// Internal to the HTTP layer (http_server.cc is the only user): the Pistache
// connection handler and the one function every response goes through.
//
// Why replace Pistache::Http::Handler::onInput (0.0.5):
//   - it adds `Connection: Close` to every response to a request without a
//     Connection header, and never closes a connection itself, whatever the
//     header says;
//   - on an oversized request it answers a plain-text 413 and keeps parsing
//     the rest of the body as new requests;
//   - after a complete request it discards whatever else was in the same
//     read (pipelined requests hang);
//   - an exception text becomes the body of a 500.
// ConnectionHandler frames each request itself (end of headers, then
// Content-Length), feeds Pistache's parser exactly one request at a time,
// refuses oversized requests before their body is read, answers
// `Expect: 100-continue`, and hands complete requests to the Rest::Router.
//
// Threads: Pistache clones the handler once per worker; a connection (peer)
// is served by one worker for its whole life, so per-connection state needs
// no lock. ServerState is shared by all workers.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "http/api_error.h"
#include "http/http_message.h"
#include "http/http_server.h"
#include "http/pistache_includes.h"
#include "switchboard/logger.h"
#include "util/ip_address.h"

namespace switchboard::http::internal {

struct ConnectionState;  // per connection, in connection_handler.cc

// Shared by the server and every worker's handler. Everything but the
// atomics and the drain lock is set before serving and never changes.
struct ServerState : std::enable_shared_from_this<ServerState> {
  std::shared_ptr<Pistache::Rest::Router> router;
  std::size_t max_body_bytes = 0;
  std::size_t max_header_bytes = 0;
  std::size_t max_connections = 0;  // 0: no cap
  Logger* logger = nullptr;
  RequestObserver observer;
  ConnectionObserver connection_observer;
  IpRangeSet trusted_proxies;
  RequestLog request_log;

  // Drain bookkeeping (see HttpServer::Shutdown). in_flight counts requests
  // from dispatch until their response has been written (or dropped).
  std::atomic<long> in_flight{0};
  std::atomic<bool> draining{false};
  std::mutex drain_mutex;
  std::condition_variable drained;

  // Deferred responses are sent from other threads: under this lock, and
  // not at all once `stopped` (HttpServer::Shutdown sets it before the
  // endpoint, and the transports a writer points into, are destroyed).
  std::mutex deferred_mutex;
  bool stopped = false;

  // Connections held now, from onConnection until Pistache destroys the
  // peer (whichever way it goes: the client closes, a timeout reaps it, a
  // refusal), and whether new ones are being refused (logged once per
  // episode).
  std::atomic<long> connections{0};
  std::atomic<bool> shedding{false};

  // A token held until the response is written; nullptr when draining (the
  // caller then answers 503). Dekker-style: increment, then check the flag.
  std::shared_ptr<void> EnterRequest();

  // Calls the observer and the request log, swallowing anything they throw.
  void Observe(std::string_view route, std::string_view method, int status,
               std::chrono::steady_clock::time_point start, std::string_view request_id,
               std::string_view remote) noexcept;
};

// Sends `response` on `writer`: sets Connection (close, or keep-alive), the
// content type and extra headers, and when `close` is set stops reading the
// connection and shuts it down once the bytes are written. `token` lives
// until the write completes or fails. Behind a pending deferred response on
// the same connection the response waits its turn. Worker thread only.
void Transmit(Pistache::Http::ResponseWriter writer, bool close, const Response& response,
              std::shared_ptr<void> token);

struct ResponseQueue;  // per connection, in connection_handler.cc

// Dispatch's path for a Response::Deferred, on the worker thread: keeps the
// response's place in the connection's order (responses to requests
// pipelined behind it wait for it), then calls `start` with a Completion
// that sends through the same steps as Transmit. `route`, `method`,
// `request_id` and `remote` are for the observer and the request log (the
// id also goes into the response's X-Request-Id), `start_time` when the
// request was complete.
void StartDeferred(ServerState& state, std::string route, std::string method,
                   std::string request_id, std::string remote,
                   std::chrono::steady_clock::time_point start_time, bool close,
                   Pistache::Http::ResponseWriter writer, std::shared_ptr<void> token,
                   std::function<void(Completion)> start);

// True when the response must close the connection: HTTP/1.1 with
// `Connection: close`, or HTTP/1.0 without `Connection: keep-alive`.
bool ClientWantsClose(const Pistache::Http::Request& request);

class ConnectionHandler : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(ConnectionHandler)

  explicit ConnectionHandler(std::shared_ptr<ServerState> state) : state_(std::move(state)) {}

  void onRequest(const Pistache::Http::Request& request,
                 Pistache::Http::ResponseWriter writer) override;

 private:
  // Counts the connection; beyond max_connections answers 503 and closes it
  // (before Pistache reads from it). Replaces Http::Handler's, which only
  // creates the request parser.
  void onConnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;
  // onConnection's counting and refusal (may throw).
  void CountConnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer);
  void onInput(const char* buffer, std::size_t length,
               const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;
  // Feeds `data` (at most one request's remaining bytes) to the parser.
  // Returns the number of bytes consumed; 0 means the connection is closing.
  std::size_t FeedOne(std::string_view data, ConnectionState& connection,
                      const std::shared_ptr<Pistache::Tcp::Peer>& peer);
  // Feeds requests one by one until `data` is used up or the connection
  // closes.
  void FeedAll(std::string_view data, ConnectionState& connection,
               const std::shared_ptr<Pistache::Tcp::Peer>& peer);
  // Answers an error the router never saw (413, malformed HTTP) and closes.
  void Refuse(const std::shared_ptr<Pistache::Tcp::Peer>& peer, ConnectionState& connection,
              ErrorCode code, std::string_view message);

  std::shared_ptr<ServerState> state_;
};

}  // namespace switchboard::http::internal
