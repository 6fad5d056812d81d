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

Handler MetricsHandler(const MetricsRegistry& registry) {
  return [&registry](const Request&) {
    return Response::Text(200, registry.Render(), std::string(MetricsRegistry::kContentType));
  };
}

}  // namespace switchboard::http
