// The HTTP layer's metrics, on a MetricsRegistry:
//   switchboard_http_requests_total{route,method,status}        counter
//   switchboard_http_request_duration_seconds{route,method}     histogram
//   switchboard_http_connections                                gauge
//   switchboard_http_connections_refused_total                  counter
// `route` is the route pattern ("/api/v1/devices/:uuid"), or "unmatched" for
// 404s and requests refused before routing, so label sets stay bounded.
//
//   MetricsRegistry registry;
//   server.SetRequestObserver(HttpMetricsObserver(registry));
//   server.SetConnectionObserver(HttpConnectionMetrics(registry));
//   server.Get("/metrics", MetricsHandler(registry));
//
// Thread-safety: the observer and the handler are safe to call concurrently;
// `registry` must outlive both.
#pragma once

#include "http/http_message.h"
#include "http/http_server.h"
#include "http/metrics.h"

namespace switchboard::http {

// Registers the two families on `registry` (once per registry) and returns
// the observer that feeds them.
RequestObserver HttpMetricsObserver(MetricsRegistry& registry);

// Registers the connection families (once per registry: connections held
// now, and connections refused over server.max_connections) and returns
// the observer that feeds them.
ConnectionObserver HttpConnectionMetrics(MetricsRegistry& registry);

// GET /metrics: the registry in Prometheus text format 0.0.4.
Handler MetricsHandler(const MetricsRegistry& registry);

}  // namespace switchboard::http
