#include "http/http_server.h"

#include <stdexcept>
#include <utility>

#include "http/api_error.h"
#include "http/client_address.h"
#include "http/connection_handler.h"
#include "http/request_id.h"
#include "util/log.h"

namespace switchboard::http {

namespace P = Pistache;
using internal::ServerState;

namespace {

// Every method Pistache parses. Each gets at least one route before serving:
// Router::route() looks methods up with operator[], which inserts (a data
// race between workers, upstream #1238) when a method has no route yet.
const std::map<std::string, P::Http::Method, std::less<>>& Methods() {
  static const auto* methods = new std::map<std::string, P::Http::Method, std::less<>>{
      {"OPTIONS", P::Http::Method::Options}, {"GET", P::Http::Method::Get},
      {"POST", P::Http::Method::Post},       {"HEAD", P::Http::Method::Head},
      {"PUT", P::Http::Method::Put},         {"PATCH", P::Http::Method::Patch},
      {"DELETE", P::Http::Method::Delete},   {"TRACE", P::Http::Method::Trace},
      {"CONNECT", P::Http::Method::Connect}};
  return *methods;
}

// One (pattern, method) as the router sees it. A null handler means the
// method is not allowed on this pattern (405, `allow` lists those that are).
struct Entry {
  std::string pattern;
  Handler handler;
  Body body = Body::kAny;
  std::vector<std::string> params;  // names without the colon
  std::string allow;
};

Response ErrorResponse(const ApiError& error) {
  Response response = Response::Json(error.status(), ErrorBody(error));
  for (const auto& [name, value] : error.headers()) response.SetHeader(name, value);
  return response;
}

Request ToRequest(const ServerState& state, const Entry& entry, const P::Rest::Request& raw,
                  const std::string& request_id) {
  Request request(P::Http::methodString(raw.method()), raw.resource(), raw.body());
  request.SetRoute(entry.pattern).SetRemoteAddress(raw.address().host()).SetRequestId(request_id);
  for (const std::string& name : entry.params) {
    if (!raw.hasParam(":" + name)) continue;
    std::optional<std::string> value =
        PercentDecode(raw.param(":" + name).as<std::string>(), /*plus_is_space=*/false);
    if (!value) throw ApiError::InvalidRequest("path parameter '" + name + "' is malformed", name);
    request.AddPathParam(name, std::move(*value));
  }
  const P::Http::Uri::Query& query = raw.query();
  for (auto it = query.parameters_begin(); it != query.parameters_end(); ++it) {
    std::optional<std::string> name = PercentDecode(it->first, true);
    std::optional<std::string> value = PercentDecode(it->second, true);
    if (!name || !value) throw ApiError::InvalidRequest("malformed query string");
    request.AddQuery(std::move(*name), std::move(*value));
  }
  for (const auto& [name, header] : raw.headers().rawList())
    request.AddHeader(name, header.value());
  request.SetClientAddress(ClientAddress(request.remote_address(),
                                         request.Header("X-Forwarded-For"), state.trusted_proxies));
  return request;
}

// `remote` becomes the request's client address (the peer, or what a
// trusted proxy says) once the request is parsed, for the request log.
Response RunHandler(const ServerState& state, const Entry& entry, const P::Rest::Request& raw,
                    const std::string& request_id, std::string& remote) {
  try {
    Request request = ToRequest(state, entry, raw, request_id);
    remote = request.client_address();
    if (entry.body == Body::kJson && !request.body().empty()) {
      const std::optional<std::string_view> type = request.Header("Content-Type");
      if (!type || !IsJsonContentType(*type)) {
        throw ApiError(ErrorCode::kUnsupportedMediaType, "Content-Type must be application/json");
      }
    }
    Response response = entry.handler(request);
    if (response.status() < 200 || response.status() > 599) {
      throw std::logic_error("handler returned status " + std::to_string(response.status()));
    }
    return response;
  } catch (const ApiError& e) {
    return ErrorResponse(e);
  } catch (const std::exception& e) {
    std::string what = e.what();
    if (what.size() > 2000) what.resize(2000);
    state.logger->Error("http: " + entry.pattern + ": handler failed: " + what);
  } catch (...) {
    state.logger->Error("http: " + entry.pattern +
                        ": handler failed with a non-standard exception");
  }
  return ErrorResponse(ApiError(ErrorCode::kInternal, ""));
}

// The one router callback for every (pattern, method): never throws, sends
// exactly once through Transmit().
// The client's X-Request-Id when well-formed, else a fresh one.
std::string RequestIdOf(const P::Http::Request& raw) {
  const auto sent = raw.headers().tryGetRaw(std::string(kRequestIdHeader));
  if (!sent) return NewRequestId();
  return RequestIdFor(sent->value());
}

void Dispatch(ServerState& state, const Entry& entry, const P::Rest::Request& raw,
              P::Http::ResponseWriter writer) {
  const auto start = std::chrono::steady_clock::now();
  const std::string request_id = RequestIdOf(raw);
  // Everything logged on this thread for the request carries its id, the
  // handler's lines and its plugins' included.
  const ScopedRequestId scoped_id(request_id);
  bool close = internal::ClientWantsClose(raw);
  std::shared_ptr<void> token = state.EnterRequest();
  std::string remote = raw.address().host();
  Response response;
  if (!token) {
    response = ErrorResponse(ApiError::Unavailable("server is shutting down"));
    close = true;
  } else if (!entry.handler) {
    const std::string method = P::Http::methodString(raw.method());
    response =
        ErrorResponse(ApiError(ErrorCode::kMethodNotAllowed,
                               "method " + method + " is not allowed here; allowed: " + entry.allow)
                          .WithHeader("Allow", entry.allow));
  } else {
    response = RunHandler(state, entry, raw, request_id, remote);
    if (response.deferred()) {
      internal::StartDeferred(state, entry.pattern, P::Http::methodString(raw.method()), request_id,
                              std::move(remote), start, close, std::move(writer), std::move(token),
                              response.TakeDeferred());
      return;
    }
  }
  response.SetHeader(std::string(kRequestIdHeader), request_id);
  const std::string_view method = P::Http::methodString(raw.method());
  state.Observe(entry.pattern, method, response.status(), start, request_id, remote);
  internal::Transmit(std::move(writer), close, response, std::move(token));
}

std::string Shape(const std::string& pattern, std::vector<std::string>* params) {
  if (pattern.empty() || pattern[0] != '/') {
    throw std::invalid_argument("route '" + pattern + "' must start with '/'");
  }
  std::string shape;
  size_t pos = 1;
  while (pos <= pattern.size()) {
    size_t slash = pattern.find('/', pos);
    if (slash == std::string::npos) slash = pattern.size();
    const std::string segment = pattern.substr(pos, slash - pos);
    pos = slash + 1;
    if (segment.empty() && pattern != "/") {
      throw std::invalid_argument("route '" + pattern + "' has an empty segment");
    }
    if (segment.find_first_of("?*") != std::string::npos) {
      throw std::invalid_argument("route '" + pattern +
                                  "': optional and splat segments are "
                                  "not supported");
    }
    if (!segment.empty() && segment[0] == ':') {
      if (segment.size() == 1) throw std::invalid_argument("route '" + pattern + "': empty name");
      params->push_back(segment.substr(1));
      shape += "/:";
    } else if (!segment.empty()) {
      shape += "/" + segment;
    }
  }
  return shape.empty() ? "/" : shape;
}

}  // namespace

HttpServer::HttpServer(HttpServerOptions options, Logger& logger)
    : options_(std::move(options)), logger_(logger), state_(std::make_shared<ServerState>()) {
  if (options_.threads < 1) throw std::invalid_argument("server.threads must be at least 1");
  if (options_.max_body_bytes == 0 || options_.max_header_bytes < 64) {
    throw std::invalid_argument("server body and header limits are too small");
  }
  if (options_.tls_cert_file.empty() != options_.tls_key_file.empty()) {
    throw std::invalid_argument("server.tls needs both cert and key");
  }
  try {
    state_->trusted_proxies = IpRangeSet(options_.trusted_proxies);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("server.trusted_proxies: ") + e.what());
  }
}

HttpServer::~HttpServer() {
  try {
    Shutdown();
  } catch (const std::exception& e) {
    logger_.Error(std::string("http: shutdown failed: ") + e.what());
  }
}

void HttpServer::Get(const std::string& pattern, Handler handler) {
  Route("GET", pattern, std::move(handler), Body::kAny);
}
void HttpServer::Post(const std::string& pattern, Handler handler, Body body) {
  Route("POST", pattern, std::move(handler), body);
}
void HttpServer::Put(const std::string& pattern, Handler handler, Body body) {
  Route("PUT", pattern, std::move(handler), body);
}
void HttpServer::Patch(const std::string& pattern, Handler handler, Body body) {
  Route("PATCH", pattern, std::move(handler), body);
}
void HttpServer::Delete(const std::string& pattern, Handler handler) {
  Route("DELETE", pattern, std::move(handler), Body::kAny);
}

void HttpServer::Route(const std::string& method, const std::string& pattern, Handler handler,
                       Body body) {
  if (served_) throw std::logic_error("HttpServer: routes must be added before Serve()");
  if (!Methods().contains(method)) throw std::invalid_argument("unknown method " + method);
  if (!handler) throw std::invalid_argument("route " + pattern + " has no handler");
  std::vector<std::string> params;
  const std::string shape = Shape(pattern, &params);
  // "/a/:id" and "/a/:uuid" would both match "/a/x" in Pistache's tree.
  const auto [it, inserted] = shapes_.emplace(shape, pattern);
  if (!inserted && it->second != pattern) {
    throw std::invalid_argument("route " + pattern + " clashes with " + it->second);
  }
  std::vector<RouteSpec>& specs = routes_[pattern];
  for (const RouteSpec& spec : specs) {
    if (spec.method == method)
      throw std::invalid_argument("duplicate route " + method + " " + pattern);
  }
  specs.push_back({method, std::move(handler), body});
}

void HttpServer::SetRequestObserver(RequestObserver observer) {
  if (served_) throw std::logic_error("HttpServer: set the observer before Serve()");
  state_->observer = std::move(observer);
}

void HttpServer::SetRequestLog(RequestLog log) {
  if (served_) throw std::logic_error("HttpServer: set the request log before Serve()");
  state_->request_log = std::move(log);
}

void HttpServer::SetConnectionObserver(ConnectionObserver observer) {
  if (served_) throw std::logic_error("HttpServer: set the connection observer before Serve()");
  state_->connection_observer = std::move(observer);
}

void HttpServer::Install() {
  auto router = std::make_shared<P::Rest::Router>();
  // The router lives in the state, so its callbacks hold a plain pointer:
  // a shared_ptr would make a cycle that keeps both alive forever.
  ServerState* state = state_.get();
  for (const auto& [pattern, specs] : routes_) {
    std::vector<std::string> params;
    Shape(pattern, &params);
    std::string allow;
    for (const RouteSpec& spec : specs) allow += (allow.empty() ? "" : ", ") + spec.method;
    for (const auto& [name, method] : Methods()) {
      auto entry = std::make_shared<Entry>();
      entry->pattern = pattern;
      entry->params = params;
      entry->allow = allow;
      for (const RouteSpec& spec : specs) {
        if (spec.method == name) {
          entry->handler = spec.handler;
          entry->body = spec.body;
        }
      }
      router->addRoute(method, pattern,
                       [state, entry](const P::Rest::Request& raw, P::Http::ResponseWriter writer) {
                         Dispatch(*state, *entry, raw, std::move(writer));
                         return P::Rest::Route::Result::Ok;
                       });
    }
  }
  router->addNotFoundHandler([state](const P::Rest::Request& raw, P::Http::ResponseWriter writer) {
    const auto start = std::chrono::steady_clock::now();
    std::shared_ptr<void> token = state->EnterRequest();
    const ApiError error = token ? ApiError::NotFound("no such endpoint")
                                 : ApiError::Unavailable("server is shutting down");
    const bool close = !token || internal::ClientWantsClose(raw);
    const std::string request_id = RequestIdOf(raw);
    Response response = ErrorResponse(error);
    response.SetHeader(std::string(kRequestIdHeader), request_id);
    state->Observe("unmatched", P::Http::methodString(raw.method()), error.status(), start,
                   request_id, raw.address().host());
    internal::Transmit(std::move(writer), close, response, std::move(token));
    return P::Rest::Route::Result::Ok;
  });
  state_->router = std::move(router);
  state_->max_body_bytes = options_.max_body_bytes;
  state_->max_header_bytes = options_.max_header_bytes;
  state_->max_connections = options_.max_connections;
  state_->logger = &logger_;
}

void HttpServer::Serve() {
  if (served_) throw std::logic_error("HttpServer::Serve() called twice");
  if (routes_.empty()) throw std::logic_error("HttpServer::Serve() with no route");
  served_ = true;
  Install();
  try {
    endpoint_ = std::make_unique<P::Http::Endpoint>(P::Address(options_.address));
    auto options = P::Http::Endpoint::options()
                       .threads(options_.threads)
                       .flags(P::Tcp::Options::ReuseAddr | P::Tcp::Options::NoDelay)
                       // Head, its blank line and the body: the framing checks come first,
                       // so this only ever stops chunked bodies.
                       .maxRequestSize(options_.max_header_bytes + 4 + options_.max_body_bytes)
                       .maxResponseSize(64 * 1024 * 1024)
                       .headerTimeout(options_.header_timeout)
                       .bodyTimeout(options_.body_timeout)
                       .keepaliveTimeout(options_.keepalive_timeout);
    endpoint_->init(options);
    if (!options_.tls_cert_file.empty()) {
      endpoint_->useSSL(options_.tls_cert_file, options_.tls_key_file);
    }
    endpoint_->setHandler(std::make_shared<internal::ConnectionHandler>(state_));
    endpoint_->serveThreaded();
    port_ = static_cast<std::uint16_t>(endpoint_->getPort());
  } catch (const std::exception& e) {
    endpoint_.reset();
    throw std::runtime_error("cannot serve HTTP on " + options_.address + ": " + e.what());
  }
}

void HttpServer::Shutdown() {
  if (!endpoint_) return;
  state_->draining.store(true);
  {
    std::unique_lock<std::mutex> lock(state_->drain_mutex);
    const bool drained = state_->drained.wait_for(lock, options_.drain_timeout,
                                                  [&] { return state_->in_flight.load() == 0; });
    if (!drained) {
      logger_.Warn("http: shutting down with " + std::to_string(state_->in_flight.load()) +
                   " request(s) still in flight after the drain timeout");
    }
  }
  endpoint_->shutdown();
  {
    // A deferred response completed from now on would write into transports
    // that are about to be destroyed.
    std::lock_guard<std::mutex> lock(state_->deferred_mutex);
    state_->stopped = true;
  }
  // Pistache's shutdown() only signals its threads; destroying the endpoint
  // joins them (the listener's accept thread, then the reactor's workers).
  endpoint_.reset();
}

}  // namespace switchboard::http
