// The Prometheus registry: exposition format, escaping, concurrency.
#include "http/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace switchboard {
namespace {

TEST(MetricsRegistryTest, RendersCountersGaugesAndHistograms) {
  MetricsRegistry registry;
  auto& requests = registry.AddCounter("requests_total", "Requests.", {"route", "status"});
  auto& reloads = registry.AddCounter("reloads_total", "Reloads.", {});
  auto& ready = registry.AddGauge("ready", "1 when ready.", {});
  auto& latency = registry.AddHistogram("latency_seconds", "Latency.", {"route"}, {0.1, 1});
  requests.WithLabels({"/b", "200"}).Inc(2);
  requests.WithLabels({"/a", "404"}).Inc();
  reloads.WithLabels({}).Inc();
  ready.WithLabels({}).Set(1);
  latency.WithLabels({"/a"}).Observe(0.05);
  latency.WithLabels({"/a"}).Observe(0.1);  // bounds are inclusive ("le")
  latency.WithLabels({"/a"}).Observe(3);
  EXPECT_EQ(registry.Render(),
            "# HELP requests_total Requests.\n"
            "# TYPE requests_total counter\n"
            "requests_total{route=\"/a\",status=\"404\"} 1\n"
            "requests_total{route=\"/b\",status=\"200\"} 2\n"
            "# HELP reloads_total Reloads.\n"
            "# TYPE reloads_total counter\n"
            "reloads_total 1\n"
            "# HELP ready 1 when ready.\n"
            "# TYPE ready gauge\n"
            "ready 1\n"
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{route=\"/a\",le=\"0.1\"} 2\n"
            "latency_seconds_bucket{route=\"/a\",le=\"1\"} 2\n"
            "latency_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"
            "latency_seconds_sum{route=\"/a\"} 3.15\n"
            "latency_seconds_count{route=\"/a\"} 3\n");
}

TEST(MetricsRegistryTest, EscapesLabelValuesAndHelp) {
  MetricsRegistry registry;
  registry.AddCounter("c", "line\\one\nline two", {"l"}).WithLabels({"a\"b\\c\nd"}).Inc();
  EXPECT_EQ(registry.Render(),
            "# HELP c line\\\\one\\nline two\n"
            "# TYPE c counter\n"
            "c{l=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsRegistryTest, RejectsBadDefinitionsAndLabelCounts) {
  MetricsRegistry registry;
  EXPECT_THROW(registry.AddCounter("bad-name", "", {}), std::invalid_argument);
  EXPECT_THROW(registry.AddCounter("ok", "", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(registry.AddHistogram("h", "", {"le"}), std::invalid_argument);
  EXPECT_THROW(registry.AddHistogram("h", "", {}, {1, 1}), std::invalid_argument);
  auto& counter = registry.AddCounter("ok", "", {"a"});
  EXPECT_THROW(registry.AddGauge("ok", "", {}), std::invalid_argument);
  EXPECT_THROW(counter.WithLabels({"x", "y"}), std::invalid_argument);
}

TEST(MetricsRegistryTest, CountsExactlyUnderConcurrency) {
  MetricsRegistry registry;
  auto& counter = registry.AddCounter("hits_total", "", {"worker"});
  auto& histogram = registry.AddHistogram("h_seconds", "", {});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        counter.WithLabels({t % 2 == 0 ? "even" : "odd"}).Inc();
        histogram.WithLabels({}).Observe(0.001);
        if (i % 1000 == 0) registry.Render();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter.WithLabels({"even"}).Value(), 20000u);
  EXPECT_EQ(counter.WithLabels({"odd"}).Value(), 20000u);
  EXPECT_NE(registry.Render().find("h_seconds_count 40000\n"), std::string::npos);
}

}  // namespace
}  // namespace switchboard
