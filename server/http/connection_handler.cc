#include "http/connection_handler.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "http/request_head.h"
#include "http/request_id.h"

namespace switchboard::http::internal {

namespace P = Pistache;

// The responses of one connection in request order, while a deferred one
// is pending. Requests pipelined behind a deferred request are still read
// and answered by the worker, but their responses wait here until every
// response before them is on its way. Only the connection's worker thread
// sends: a response completed on another thread wakes the worker
// (WakeWorkerToSend). Writes leave in the order they are handed to the
// transport (one queue per worker), so that order is the order on the wire.
struct ResponseQueue {
  struct Slot {
    bool ready = false;
    std::optional<P::Http::ResponseWriter> writer;
    bool close = false;
    Response response;
    std::shared_ptr<void> token;  // the drain token, until the bytes are out
  };
  std::mutex mutex;
  std::deque<std::shared_ptr<Slot>> pending;  // oldest first
  std::thread::id worker;                     // the connection's worker thread
  std::weak_ptr<Pistache::Tcp::Peer> peer;
  Pistache::Tcp::Transport* transport = nullptr;  // the worker's
  bool wake_pending = false;                      // a WakeWorkerToSend is on its way
};

// Per connection; lives in the peer's data map and is only touched by the
// worker thread that owns the peer (`responses` has its own lock).
struct ConnectionState {
  // Set once a response that closes the connection is queued: every byte
  // read afterwards is discarded until the client or a timeout closes it.
  bool closing = false;
  // The request being served had a chunked body: its end is only known to
  // Pistache's parser, which drops whatever followed it in the same read, so
  // this response closes the connection rather than risk a lost request.
  bool close_after_response = false;

  // Framing of the request being read.
  std::string head;        // bytes up to the end of the headers
  bool head_done = false;  // head complete and checked
  bool length_known = false;
  std::size_t expected = 0;  // head + body bytes, when length_known
  std::size_t fed = 0;       // bytes of this request given to the parser
  // Every X-Forwarded-For line joined, when there were several: Pistache
  // keeps only the first, and a proxy may add its own line (client_address.h).
  std::optional<std::string> joined_forwarded_for;
  std::string_view method = "OTHER";
  P::Http::Version version = P::Http::Version::Http11;

  // Responses waiting behind a deferred one (created by the first deferred
  // request of the connection; shared with the threads completing them).
  std::shared_ptr<ResponseQueue> responses;
  // The worker's transport (ConnectionHandler::transport() is only
  // reachable from the handler).
  Pistache::Tcp::Transport* transport = nullptr;

  void NextRequest() {
    head.clear();
    head_done = length_known = close_after_response = false;
    expected = fed = 0;
    joined_forwarded_for.reset();
    method = "OTHER";
    version = P::Http::Version::Http11;
  }
};

namespace {

constexpr char kStateKey[] = "switchboard.connection";
// The connection's place in ServerState::connections, given back when
// Pistache destroys the peer.
constexpr char kSlotKey[] = "switchboard.connection_slot";

// `head` without the header lines whose typed form Pistache would fail to
// parse (and throw on): such a header is ignored instead. Content-Length and
// Transfer-Encoding stay (request_head.cc checked them; Pistache frames the
// body with them); everything the API reads it reads from the raw headers.
std::string WithoutUnparseableHeaders(const std::string& head) {
  P::Http::Header::Registry& registry = P::Http::Header::Registry::instance();
  std::string out;
  std::size_t pos = 0;
  bool request_line = true;
  while (pos < head.size()) {
    std::size_t end = head.find("\r\n", pos);
    end = end == std::string::npos ? head.size() : end + 2;
    const std::string_view line(head.data() + pos, end - pos);
    pos = end;
    if (request_line || line == "\r\n") {
      request_line = false;
      out.append(line);
      continue;
    }
    const std::size_t colon = line.find(':');
    const std::string name(line.substr(0, colon == std::string_view::npos ? 0 : colon));
    if (colon != std::string_view::npos && registry.isRegistered(name) &&
        !P::Http::Header::LowercaseEqualStatic(name, "content-length") &&
        !P::Http::Header::LowercaseEqualStatic(name, "transfer-encoding")) {
      std::string_view value = line.substr(colon + 1);
      value.remove_suffix(2);  // CRLF
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      try {
        registry.makeHeader(name)->parseRaw(value.data(), value.size());
      } catch (...) {
        continue;  // dropped
      }
    }
    out.append(line);
  }
  return out;
}
// A client that pipelines more requests than this behind a pending deferred
// response is cut off: none of them can be answered before it anyway.
constexpr std::size_t kMaxQueuedResponses = 64;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

ConnectionState& StateOf(P::Tcp::Peer& peer) {
  std::shared_ptr<void> data = peer.tryGetData(kStateKey);
  if (!data) {
    data = std::make_shared<ConnectionState>();
    peer.putData(kStateKey, data);
  }
  return *static_cast<ConnectionState*>(data.get());
}

// A response header with a name chosen at run time. Pistache only writes
// typed headers (Header::Collection::list()), never raw ones.
class FixedHeader : public P::Http::Header::Header {
 public:
  FixedHeader(std::string name, std::string value)
      : name_(std::move(name)), value_(std::move(value)) {}
  const char* name() const override { return name_.c_str(); }
  void write(std::ostream& os) const override { os << value_; }
  // Matches no typed header, so header_cast<> never mistakes it for one.
  uint64_t hash() const override { return 0; }

 private:
  std::string name_;
  std::string value_;
};

// Runs on the worker thread when the response bytes have been written (or
// failed). Half-closes so the client reads the whole response and then EOF;
// the transport removes the peer when the client closes its side (or the
// keep-alive timeout does). Never close(2) here: the fd belongs to Pistache.
void ShutdownWrite(const std::weak_ptr<P::Tcp::Peer>& weak, bool write_failed) {
  const std::shared_ptr<P::Tcp::Peer> peer = weak.lock();
  if (!peer) return;
  if (peer->ssl() != nullptr && !write_failed) {
    SSL_shutdown(static_cast<SSL*>(peer->ssl()));  // best effort close_notify
    ERR_clear_error();
  }
  ::shutdown(peer->fd(), write_failed ? SHUT_RDWR : SHUT_WR);
}

// The connection's state can no longer be trusted: stop reading it and let
// the transport reap it.
void Abandon(P::Tcp::Peer& peer) noexcept {
  try {
    StateOf(peer).closing = true;
  } catch (...) {
  }
  ::shutdown(peer.fd(), SHUT_RDWR);
}

}  // namespace

std::shared_ptr<void> ServerState::EnterRequest() {
  in_flight.fetch_add(1);
  auto leave = [self = shared_from_this()](void*) {
    if (self->in_flight.fetch_sub(1) == 1) {
      std::lock_guard<std::mutex> lock(self->drain_mutex);
      self->drained.notify_all();
    }
  };
  std::shared_ptr<void> token(static_cast<void*>(this), leave);
  if (draining.load()) return nullptr;  // `token` leaves on destruction
  return token;
}

void ServerState::Observe(std::string_view route, std::string_view method, int status,
                          std::chrono::steady_clock::time_point start, std::string_view request_id,
                          std::string_view remote) noexcept {
  const std::chrono::nanoseconds duration = std::chrono::steady_clock::now() - start;
  // A metrics or logging bug must not turn into a failed request.
  try {
    if (observer) observer(route, method, status, duration);
  } catch (...) {
  }
  try {
    if (request_log) request_log({route, method, status, duration, request_id, remote});
  } catch (...) {
  }
}

bool ClientWantsClose(const P::Http::Request& request) {
  bool close = false, keep_alive = false;
  if (const auto raw = request.headers().tryGetRaw("Connection")) {
    std::string value = raw->value();
    std::transform(value.begin(), value.end(), value.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    size_t pos = 0;
    while (pos <= value.size()) {
      size_t comma = value.find(',', pos);
      if (comma == std::string::npos) comma = value.size();
      std::string token = value.substr(pos, comma - pos);
      token.erase(0, token.find_first_not_of(" \t"));
      token.erase(token.find_last_not_of(" \t") + 1);
      close = close || token == "close";
      keep_alive = keep_alive || token == "keep-alive";
      pos = comma + 1;
    }
  }
  if (request.version() == P::Http::Version::Http10) return close || !keep_alive;
  return close;
}

namespace {

// Headers and the write. Only on the connection's worker thread: the
// promise ResponseWriter::send returns is resolved there without a lock
// (Pistache 0.0.5 chains it), so its continuation must be attached there,
// and the send marks the peer idle, which the worker's timeouts read.
void SendOnWire(P::Http::ResponseWriter writer, bool close, const Response& response,
                std::shared_ptr<void> token) {
  std::weak_ptr<P::Tcp::Peer> weak = writer.getPeer();
  auto& headers = writer.headers();
  // Pistache 0.0.5 would have said Close for every request without a
  // Connection header; we decide here, once, for every response.
  headers.remove<P::Http::Header::Connection>();
  headers.add<P::Http::Header::Connection>(close ? P::Http::ConnectionControl::Close
                                                 : P::Http::ConnectionControl::KeepAlive);
  if (!response.content_type().empty()) {
    headers.add(std::make_shared<FixedHeader>("Content-Type", response.content_type()));
  }
  for (const auto& [name, value] : response.headers()) {
    headers.add(std::make_shared<FixedHeader>(name, value));
  }
  writer.send(static_cast<P::Http::Code>(response.status()), response.body())
      .then(
          [weak, close, token](ssize_t) {
            if (close) ShutdownWrite(weak, false);
          },
          // Too large for maxResponseSize, or the peer is gone: do not leave
          // a client waiting for a response that will never come.
          [weak, token](std::exception_ptr) { ShutdownWrite(weak, true); });
}

Response InternalErrorResponse() {
  return Response::Json(500, ErrorBody(ErrorCode::kInternal, "internal error"));
}

// Sends the ready responses at the head of `queue`, in order. REQUIRES:
// queue.mutex held, on the connection's worker thread.
void SendReady(ResponseQueue& queue) {
  while (!queue.pending.empty() && queue.pending.front()->ready) {
    std::shared_ptr<ResponseQueue::Slot> slot = std::move(queue.pending.front());
    queue.pending.pop_front();
    SendOnWire(std::move(*slot->writer), slot->close, slot->response, std::move(slot->token));
  }
}

// Makes an empty write to `peer` from a thread other than its worker. The
// worker resolves the write's promise under the promise's lock, so
// `written` runs on the worker, unless the worker made the write before
// `written` was attached: then `written` runs here, inside this call.
// Pistache has no other way to run code on a worker thread at once. The
// promise's state is shared with the worker, which drops its part inside
// libpistache.so, where ThreadSanitizer cannot see it (tests/tsan.supp
// names this function for that reason); not inlined, so that it stays a
// frame of its own, and the callbacks are the caller's, so that their
// frames are not its.
[[gnu::noinline]] void WriteNothingFromAnotherThread(
    P::Tcp::Peer& peer, std::function<void(ssize_t)> written,
    std::function<void(std::exception_ptr)> failed) {
  peer.send(P::RawBuffer(std::string(), 0)).then(std::move(written), std::move(failed));
}

// A timer file descriptor, closed when the last continuation holding it
// goes (after Pistache is done with it).
class WakeTimer {
 public:
  WakeTimer() : fd_(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {}
  ~WakeTimer() {
    if (fd_ >= 0) ::close(fd_);
  }
  WakeTimer(const WakeTimer&) = delete;
  WakeTimer& operator=(const WakeTimer&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Runs `fired` on `transport`'s worker thread about 1 ms from now (the
// shortest timer Pistache 0.0.5 arms), or `failed` there if the timer
// cannot be armed. Here the promise is ours to make, so the continuation
// is attached before the worker can resolve it and always runs on the
// worker; the cost is the millisecond. Not inlined, and the callbacks are
// the caller's, as for WriteNothingFromAnotherThread (tests/tsan.supp).
[[gnu::noinline]] void ArmWakeTimer(P::Tcp::Transport& transport, int timer_fd,
                                    std::function<void(uint64_t)> fired,
                                    std::function<void(std::exception_ptr)> failed) {
  std::optional<P::Async::Deferred<uint64_t>> deferred;
  P::Async::Promise<uint64_t> promise(
      [&deferred](P::Async::Deferred<uint64_t> d) { deferred.emplace(std::move(d)); });
  promise.then(std::move(fired), std::move(failed));
  transport.armTimer(timer_fd, std::chrono::milliseconds(1), std::move(*deferred));
}

// On the worker: what a wake-up does.
void WokenOnWorker(ResponseQueue& queue) {
  std::lock_guard<std::mutex> lock(queue.mutex);
  queue.wake_pending = false;
  SendReady(queue);
}

// Gets the worker thread of `queue`'s connection to send what is ready:
// through an empty write (at once), or, when that lands on this thread,
// through a timer (a millisecond later). If neither can be made, the
// slots wait until the worker queues the connection's next response
// (Transmit), or die with the connection. REQUIRES: queue->mutex not held,
// and the endpoint alive (the server's deferred_mutex held with `stopped`
// false).
void WakeWorkerToSend(const std::shared_ptr<ResponseQueue>& queue) {
  std::shared_ptr<P::Tcp::Peer> peer;
  {
    std::lock_guard<std::mutex> lock(queue->mutex);
    if (queue->wake_pending || queue->transport == nullptr) return;
    peer = queue->peer.lock();
    if (!peer) return;  // nothing will be read: the slots die with the queue
    queue->wake_pending = true;
  }
  const auto give_up = [queue](std::exception_ptr) {
    std::lock_guard<std::mutex> lock(queue->mutex);
    queue->wake_pending = false;
  };
  auto landed_here = std::make_shared<bool>(false);  // read and written by this thread only
  WriteNothingFromAnotherThread(
      *peer,
      [queue, landed_here](ssize_t) {
        if (std::this_thread::get_id() == queue->worker) {
          WokenOnWorker(*queue);
        } else {
          *landed_here = true;
        }
      },
      give_up);
  if (!*landed_here) return;
  auto timer = std::make_shared<WakeTimer>();
  if (timer->fd() < 0) {
    give_up(nullptr);
    return;
  }
  ArmWakeTimer(
      *queue->transport, timer->fd(), [queue, timer](uint64_t) { WokenOnWorker(*queue); },
      [give_up, timer](std::exception_ptr e) { give_up(e); });
}

}  // namespace

void Transmit(P::Http::ResponseWriter writer, bool close, const Response& response,
              std::shared_ptr<void> token) {
  std::shared_ptr<ResponseQueue> queue;
  if (const auto peer = writer.getPeer()) {
    ConnectionState& connection = StateOf(*peer);
    close = close || connection.close_after_response;
    connection.closing = connection.closing || close;
    queue = connection.responses;
  }
  if (queue) {
    std::lock_guard<std::mutex> lock(queue->mutex);
    if (!queue->pending.empty()) {
      // Behind a deferred response: wait for it (its completion sends
      // this). Idle meanwhile, as in StartDeferred.
      if (const auto peer = writer.getPeer()) peer->setIdle(true);
      auto slot = std::make_shared<ResponseQueue::Slot>();
      slot->ready = true;
      slot->writer.emplace(std::move(writer));
      slot->close = close;
      slot->response = response;
      slot->token = std::move(token);
      queue->pending.push_back(std::move(slot));
      // On the worker: whatever is ready at the head goes now, in case a
      // wake-up could not be made (WakeWorkerToSend).
      SendReady(*queue);
      return;
    }
  }
  SendOnWire(std::move(writer), close, response, std::move(token));
}

}  // namespace switchboard::http::internal

namespace switchboard::http {

struct Completion::State {
  std::shared_ptr<internal::ServerState> server;
  std::shared_ptr<internal::ResponseQueue> queue;
  std::shared_ptr<internal::ResponseQueue::Slot> slot;
  std::string route;
  std::string method;
  std::string request_id;
  std::string remote;
  std::chrono::steady_clock::time_point start_time;
  std::atomic<bool> done{false};

  // Sends `response` unless something was sent already. Any thread.
  void Complete(const Response& response) {
    if (done.exchange(true)) return;
    // Lock order: the server's deferred_mutex, then the connection's queue.
    std::lock_guard<std::mutex> server_lock(server->deferred_mutex);
    if (server->stopped) return;  // the transports are gone; the slot dies with the queue
    server->Observe(route, method, response.status(), start_time, request_id, remote);
    {
      std::lock_guard<std::mutex> lock(queue->mutex);
      slot->response = response;
      slot->response.SetHeader(std::string(kRequestIdHeader), request_id);
      slot->ready = true;
      if (std::this_thread::get_id() == queue->worker) {
        internal::SendReady(*queue);
        return;
      }
    }
    internal::WakeWorkerToSend(queue);
  }

  ~State() {
    if (done.load()) return;
    try {
      server->logger->Error("http: " + route + ": a deferred response was never completed");
      Complete(internal::InternalErrorResponse());
    } catch (...) {
      // Destructors must not throw; the client's connection times out.
    }
  }
};

void Completion::operator()(Response response) const {
  if (response.status() < 200 || response.status() > 599 || response.deferred()) {
    state_->server->logger->Error("http: " + state_->route +
                                  ": a deferred response had an invalid status");
    response = internal::InternalErrorResponse();
  }
  state_->Complete(response);
}

}  // namespace switchboard::http

namespace switchboard::http::internal {

void StartDeferred(ServerState& state, std::string route, std::string method,
                   std::string request_id, std::string remote,
                   std::chrono::steady_clock::time_point start_time, bool close,
                   P::Http::ResponseWriter writer, std::shared_ptr<void> token,
                   std::function<void(Completion)> start) {
  auto completion_state = std::make_shared<Completion::State>();
  completion_state->server = state.shared_from_this();
  completion_state->route = std::move(route);
  completion_state->method = std::move(method);
  completion_state->request_id = std::move(request_id);
  completion_state->remote = std::move(remote);
  completion_state->start_time = start_time;
  auto slot = std::make_shared<ResponseQueue::Slot>();
  const std::shared_ptr<P::Tcp::Peer> peer = writer.getPeer();
  std::shared_ptr<ResponseQueue> queue;
  if (peer) {
    // Pistache's timeouts see a connection that is not idle, with its
    // parser waiting for a request line, as a slow client: after
    // header_timeout it would write a 408 ahead of the pending response.
    // Idle, the connection has keepalive_timeout for the response to come.
    peer->setIdle(true);
    ConnectionState& connection = StateOf(*peer);
    close = close || connection.close_after_response;
    connection.closing = connection.closing || close;
    if (!connection.responses) {
      connection.responses = std::make_shared<ResponseQueue>();
      connection.responses->worker = std::this_thread::get_id();
      connection.responses->peer = peer;
      connection.responses->transport = connection.transport;
    }
    queue = connection.responses;
  } else {
    queue = std::make_shared<ResponseQueue>();  // the peer is gone: nothing will be read
  }
  slot->writer.emplace(std::move(writer));
  slot->close = close;
  slot->token = std::move(token);
  {
    std::lock_guard<std::mutex> lock(queue->mutex);
    if (queue->pending.size() >= kMaxQueuedResponses) {
      state.logger->Warn("http: closing a connection that pipelined over " +
                         std::to_string(kMaxQueuedResponses) +
                         " requests behind a pending response");
      completion_state->done = true;
      if (peer) Abandon(*peer);
      return;
    }
    queue->pending.push_back(slot);
  }
  completion_state->queue = std::move(queue);
  completion_state->slot = std::move(slot);
  const Completion completion(completion_state);
  try {
    start(completion);
  } catch (const std::exception& e) {
    state.logger->Error("http: " + completion_state->route +
                        ": deferred start failed: " + e.what());
    completion(InternalErrorResponse());
  } catch (...) {
    state.logger->Error("http: " + completion_state->route +
                        ": deferred start failed with a non-standard exception");
    completion(InternalErrorResponse());
  }
}

void ConnectionHandler::onRequest(const P::Http::Request& request, P::Http::ResponseWriter writer) {
  state_->router->route(request, std::move(writer));
}

namespace {

void NotifyConnections(const ServerState& state, bool opened, bool refused) noexcept {
  if (!state.connection_observer) return;
  try {
    state.connection_observer(opened, refused);
  } catch (...) {
  }
}

// The answer to a connection over max_connections, whole, with the headers
// Transmit() would set.
std::string OverCapacityResponse() {
  const std::string body = ErrorBody(ErrorCode::kUnavailable, "too many connections; retry later");
  return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\nRetry-After: 1\r\n" +
         std::string(kRequestIdHeader) + ": " + NewRequestId() + "\r\n\r\n" + body;
}

}  // namespace

void ConnectionHandler::onConnection(const std::shared_ptr<P::Tcp::Peer>& peer) {
  // What Http::Handler::onConnection does (it is private there): the parser
  // that reads the requests and that Pistache's timeout check looks at.
  peer->putData(ParserData, std::make_shared<P::Http::RequestParser>(getMaxRequestSize()));
  // Nothing may escape into Pistache's reactor loop: it would end the worker.
  try {
    CountConnection(peer);
  } catch (const std::exception& e) {
    state_->logger->Error(std::string("http: closing a new connection after an internal error: ") +
                          e.what());
    Abandon(*peer);
  } catch (...) {
    state_->logger->Error("http: closing a new connection after an unknown internal error");
    Abandon(*peer);
  }
}

void ConnectionHandler::CountConnection(const std::shared_ptr<P::Tcp::Peer>& peer) {
  const long open = state_->connections.fetch_add(1) + 1;
  // Given back in the peer's destructor: Pistache's timeouts remove a peer
  // without calling onDisconnection, so counting there would drift.
  std::shared_ptr<ServerState> state = state_;
  peer->putData(kSlotKey, std::shared_ptr<void>(static_cast<void*>(state.get()), [state](void*) {
                  state->connections.fetch_sub(1);
                  NotifyConnections(*state, false, false);
                }));
  const long cap = static_cast<long>(state_->max_connections);
  const bool over = cap != 0 && open > cap;
  NotifyConnections(*state_, true, over);
  if (!over) {
    // Hysteresis, so that a server hovering at the cap logs one line per
    // episode, not one per connection.
    if (cap != 0 && open <= cap - cap / 10 && state_->shedding.exchange(false)) {
      state_->logger->Info("http: " + std::to_string(open) +
                           " connections open: new connections are served again");
    }
    return;
  }
  if (!state_->shedding.exchange(true)) {
    state_->logger->Warn("http: " + std::to_string(cap) +
                         " connections open (server.max_connections): new connections are "
                         "answered 503 and closed (switchboard_http_connections_refused_total)");
  }
  // Whatever the client sends is discarded (onInput), and nothing goes
  // through Pistache's write queue: the acceptor may not have created the
  // peer's queue yet when onConnection runs. A fresh socket's send buffer
  // takes the few hundred bytes at once.
  StateOf(*peer).closing = true;
  const std::string response = OverCapacityResponse();
  if (peer->ssl() != nullptr) {
    SSL_write(static_cast<SSL*>(peer->ssl()), response.data(), static_cast<int>(response.size()));
    ERR_clear_error();
  } else {
    (void)::send(peer->fd(), response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  // Both directions: the transport's first read then ends the connection
  // (after draining what the client sent, so the close sends no reset), and
  // the descriptor is free within one poll instead of when the client or a
  // timeout closes it.
  ::shutdown(peer->fd(), SHUT_RDWR);
}

void ConnectionHandler::onInput(const char* buffer, std::size_t length,
                                const std::shared_ptr<P::Tcp::Peer>& peer) {
  // Nothing may escape into Pistache's reactor loop: it would end the worker.
  try {
    ConnectionState& connection = StateOf(*peer);
    connection.transport = transport();
    FeedAll(std::string_view(buffer, length), connection, peer);
  } catch (const std::exception& e) {
    state_->logger->Error(std::string("http: closing a connection after an internal error: ") +
                          e.what());
    Abandon(*peer);
  } catch (...) {
    state_->logger->Error("http: closing a connection after an unknown internal error");
    Abandon(*peer);
  }
}

void ConnectionHandler::FeedAll(std::string_view data, ConnectionState& connection,
                                const std::shared_ptr<P::Tcp::Peer>& peer) {
  // One read may hold the end of one request and the start of the next
  // (pipelining): feed them one at a time.
  while (!data.empty() && !connection.closing) {
    const std::size_t used = FeedOne(data, connection, peer);
    if (used == 0) break;
    data.remove_prefix(used);
  }
}

std::size_t ConnectionHandler::FeedOne(std::string_view data, ConnectionState& connection,
                                       const std::shared_ptr<P::Tcp::Peer>& peer) {
  const std::size_t max_body = state_->max_body_bytes;
  // Set when the head ends in this chunk: the whole head, and how many of
  // its bytes are at the start of `data` (for WithoutUnparseableHeaders).
  std::string completed_head;
  std::size_t head_tail = 0;
  if (!connection.head_done) {
    const std::size_t before = connection.head.size();
    const std::size_t room = state_->max_header_bytes + 4 - before;
    connection.head.append(data.substr(0, std::min(data.size(), room)));
    const std::size_t end = connection.head.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
    if (end == std::string::npos) {
      if (connection.head.size() > state_->max_header_bytes) {
        Refuse(peer, connection, ErrorCode::kPayloadTooLarge, "request headers too large");
        return 0;
      }
    } else {
      const std::size_t head_length = end + 4;
      connection.head.resize(head_length);
      connection.head_done = true;
      const std::optional<RequestHead> head = ParseRequestHead(connection.head);
      completed_head = std::move(connection.head);
      connection.head.clear();
      head_tail = head_length - before;
      if (!head) {
        Refuse(peer, connection, ErrorCode::kInvalidRequest, "malformed HTTP request");
        return 0;
      }
      connection.method = MethodLabel(head->method);
      if (head->forwarded_for_lines > 1) connection.joined_forwarded_for = head->forwarded_for;
      connection.version = head->http10 ? P::Http::Version::Http10 : P::Http::Version::Http11;
      const std::uint64_t body_length = head->content_length.value_or(0);
      // Refused before a byte of the body is buffered.
      if (body_length > max_body) {
        Refuse(peer, connection, ErrorCode::kPayloadTooLarge,
               "request body exceeds " + std::to_string(max_body) + " bytes");
        return 0;
      }
      if (!head->chunked) {
        connection.length_known = true;
        connection.expected = head_length + body_length;
      }
      const std::size_t body_here = data.size() - (head_length - before);
      if (head->expect_continue && !head->http10 && (head->chunked || body_here < body_length)) {
        peer->send(P::RawBuffer(kContinue.data(), kContinue.size()))
            .then([](ssize_t) {}, [](std::exception_ptr) {});
      }
    }
  }

  std::size_t take = data.size();
  if (connection.length_known) take = std::min(take, connection.expected - connection.fed);
  const std::shared_ptr<P::Http::RequestParser> parser = getParser(peer);
  // Pistache's own limit (line + headers + body): only chunked bodies reach it.
  if (!parser->feed(data.data(), take)) {
    Refuse(peer, connection, ErrorCode::kPayloadTooLarge,
           "request body exceeds " + std::to_string(max_body) + " bytes");
    return 0;
  }
  connection.fed += take;
  P::Http::Private::State parsed;
  try {
    parsed = parser->parse();
  } catch (...) {
    // HttpError and whatever a header parser throws (std::invalid_argument,
    // std::length_error from a huge reserve): all the client's doing. A
    // typed header Pistache cannot parse (`Date: garbage`, `Accept:` empty,
    // `Content-Type: application/jsonx`) is no reason to refuse the request:
    // parse it once more without such headers. The head always ends in the
    // chunk where Pistache first sees all of it, so this chunk holds the
    // only body bytes fed so far.
    std::optional<P::Http::Private::State> again;
    if (!completed_head.empty() && take >= head_tail) {
      const std::string clean = WithoutUnparseableHeaders(completed_head);
      if (clean.size() != completed_head.size()) {
        parser->reset();
        if (parser->feed(clean.data(), clean.size()) &&
            parser->feed(data.data() + head_tail, take - head_tail)) {
          try {
            again = parser->parse();
          } catch (...) {
          }
        }
      }
    }
    if (!again) {
      Refuse(peer, connection, ErrorCode::kInvalidRequest, "malformed HTTP request");
      return 0;
    }
    parsed = *again;
  }
  const bool framed_done = connection.length_known && connection.fed == connection.expected;
  if (parsed != P::Http::Private::State::Done) {
    if (framed_done) {  // Pistache wants more than Content-Length said
      Refuse(peer, connection, ErrorCode::kInvalidRequest, "malformed HTTP request");
      return 0;
    }
    return take;
  }
  if ((connection.length_known && !framed_done) || parser->request.body().size() > max_body) {
    Refuse(peer, connection,
           connection.length_known ? ErrorCode::kInvalidRequest : ErrorCode::kPayloadTooLarge,
           connection.length_known ? "malformed HTTP request"
                                   : "request body exceeds " + std::to_string(max_body) + " bytes");
    return 0;
  }

  P::Http::Request& request = parser->request;
  if (request.resource().empty()) {  // "GET  HTTP/1.1": the router would throw
    Refuse(peer, connection, ErrorCode::kInvalidRequest, "malformed HTTP request");
    return 0;
  }
  connection.close_after_response = !connection.length_known;
  if (connection.joined_forwarded_for) {
    request.headers().remove("X-Forwarded-For");
    request.headers().addRaw(
        P::Http::Header::Raw("X-Forwarded-For", *connection.joined_forwarded_for));
  }
  request.copyAddress(peer->address());
  peer->setIdle(false);  // Pistache's timeouts: a request is being served
  try {
    onRequest(request, P::Http::ResponseWriter(request.version(), transport(), this, peer));
  } catch (const std::exception& e) {
    // Only the router can get here (our dispatch catches everything), and it
    // throws before sending anything.
    state_->logger->Error(std::string("http: routing failed: ") + e.what());
    Refuse(peer, connection, ErrorCode::kInternal, "internal error");
    return 0;
  }
  parser->reset();
  connection.NextRequest();
  return take;
}

void ConnectionHandler::Refuse(const std::shared_ptr<P::Tcp::Peer>& peer,
                               ConnectionState& connection, ErrorCode code,
                               std::string_view message) {
  const auto start = std::chrono::steady_clock::now();
  getParser(peer)->reset();
  // The request never got far enough for its headers to be trusted: a
  // fresh id.
  const std::string request_id = NewRequestId();
  Response response = Response::Json(StatusOf(code), ErrorBody(code, message));
  response.SetHeader(std::string(kRequestIdHeader), request_id);
  Transmit(P::Http::ResponseWriter(connection.version, transport(), this, peer), true, response,
           nullptr);
  state_->Observe("unmatched", connection.method, StatusOf(code), start, request_id,
                  peer->address().host());
  connection.NextRequest();
  connection.closing = true;
}

}  // namespace switchboard::http::internal
