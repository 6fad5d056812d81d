#include "http/http_metrics.h"

#include <string>

namespace switchboard::http {

RequestObserver HttpMetricsObserver(MetricsRegistry& registry) {
  CounterFamily& requests = registry.AddCounter(
      "switchboard_http_requests_total",
      "HTTP responses sent, by route pattern, method and status.", {"route", "method", "status"});
  HistogramFamily& latency = registry.AddHistogram(
      "switchboard_http_request_duration_seconds",
      "Time from a complete request to its queued response, by route pattern and method.",
      {"route", "method"});
  return [&requests, &latency](std::string_view route, std::string_view method, int status,
                               std::chrono::nanoseconds duration) {
    const std::string code = std::to_string(status);
    requests.WithLabels({route, method, code}).Inc();
    latency.WithLabels({route, method}).Observe(std::chrono::duration<double>(duration).count());
  };
}

ConnectionObserver HttpConnectionMetrics(MetricsRegistry& registry) {
  Gauge& open = registry
                    .AddGauge("switchboard_http_connections",
                              "HTTP connections held now (refused ones until they are closed).", {})
                    .WithLabels({});
  Counter& refused = registry
                         .AddCounter("switchboard_http_connections_refused_total",
                                     "Connections answered 503 and closed at accept because "
                                     "server.max_connections were open.",
                                     {})
                         .WithLabels({});
  return [&open, &refused](bool opened, bool was_refused) {
    open.Add(opened ? 1 : -1);
    if (was_refused) refused.Inc();
  };
}

Handler MetricsHandler(const MetricsRegistry& registry) {
  return [&registry](const Request&) {
    return Response::Text(200, registry.Render(), std::string(MetricsRegistry::kContentType));
  };
}

}  // namespace switchboard::http
