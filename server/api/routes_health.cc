// Liveness, readiness and metrics: unauthenticated, for load balancers and
// Prometheus.
#include "api/route_support.h"
#include "api/routes.h"
#include "http/http_metrics.h"

namespace switchboard {

void InstallHealthRoutes(http::HttpServer& server, App& app) {
  server.Get("/healthz",
             [](const http::Request&) { return http::Response::Json(200, R"({"status":"ok"})"); });
  server.Get("/readyz", [&app](const http::Request&) {
    // Ready = storage answers, the schema is migrated, a chain is loaded. A
    // load balancer takes an unready instance out of rotation.
    if (app.Ready()) return http::Response::Json(200, R"({"status":"ready"})");
    return http::Response::Json(503, R"({"status":"unready","reason":"storage unavailable"})");
  });
  server.Get("/metrics", http::MetricsHandler(app.metrics()));
}

void InstallRoutes(http::HttpServer& server, App& app) {
  server.SetRequestObserver(http::HttpMetricsObserver(app.metrics()));
  InstallHealthRoutes(server, app);
  InstallDeviceRoutes(server, app);
  InstallAdminRoutes(server, app);
  InstallOperatorRoutes(server, app);
  InstallMqttAuthRoutes(server, app);
}

}  // namespace switchboard
