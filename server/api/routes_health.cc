// Liveness, readiness and metrics: unauthenticated, for load balancers and
// Prometheus.
#include "api/route_handlers.h"
#include "http/http_metrics.h"

namespace switchboard::handlers {

http::Response Healthz(App&, const http::Request&, const std::string&) {
  return http::Response::Json(200, R"({"status":"ok"})");
}

http::Response Readyz(App& app, const http::Request&, const std::string&) {
  // Ready = storage answers, the schema is migrated, a chain is loaded. A
  // load balancer takes an unready instance out of rotation.
  if (!app.Ready()) {
    return http::Response::Json(503, R"({"status":"unready","reason":"storage unavailable"})");
  }
  // Storage reads but cannot write (a full disk): the instance still serves
  // what devices ask most (their broker), so it stays in rotation; taking it
  // out would turn a write outage into a full one, and on SQLite there is no
  // other instance. The body and switchboard_storage_writable tell the
  // operator (docs/reliability.md, "Readiness while storage cannot write").
  if (!app.StorageWritable()) {
    return http::Response::Json(
        200, R"({"status":"degraded","writable":false,"reason":"storage cannot write (disk full, )"
             R"(file-size limit, read-only file or I/O error): writes are answered 503, reads are )"
             R"(served"})");
  }
  return http::Response::Json(200, R"({"status":"ready"})");
}

http::Response Metrics(App& app, const http::Request& request, const std::string&) {
  app.RefreshCaExpiryMetric(false);
  app.StorageWritable();  // probes (at most once a second) while writes fail
  return http::MetricsHandler(app.metrics())(request);
}

}  // namespace switchboard::handlers
