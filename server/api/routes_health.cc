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
  if (app.Ready()) return http::Response::Json(200, R"({"status":"ready"})");
  return http::Response::Json(503, R"({"status":"unready","reason":"storage unavailable"})");
}

http::Response Metrics(App& app, const http::Request& request, const std::string&) {
  app.RefreshCaExpiryMetric(false);
  return http::MetricsHandler(app.metrics())(request);
}

}  // namespace switchboard::handlers
