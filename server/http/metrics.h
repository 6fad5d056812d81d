// A small Prometheus registry: counters, gauges and fixed-bucket histograms,
// each a family with labels, rendered in the text exposition format 0.0.4.
//
//   MetricsRegistry registry;
//   auto& requests = registry.AddCounter("switchboard_http_requests_total",
//                                        "HTTP responses sent.", {"route", "method", "status"});
//   requests.WithLabels({"/healthz", "GET", "200"}).Inc();
//   std::string text = registry.Render();  // for GET /metrics
//
// Thread-safety: everything is safe to call concurrently. Add*() is meant for
// startup. Updating a metric is one relaxed atomic operation; WithLabels()
// takes a shared (reader) lock for the lookup and an exclusive lock only the
// first time a label set is seen. References returned by Add*() and
// WithLabels() stay valid for the registry's lifetime: hot paths may keep
// them. Label values are free text (escaped on output), but every distinct
// set is kept forever: never use unbounded values (raw paths, ids) as labels.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard {

class Counter {
 public:
  void Inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Cumulative buckets with fixed upper bounds (plus +Inf). `_count` is
// rendered as the sum of the buckets, so it always equals the +Inf bucket;
// `_sum` may lag a concurrent Observe() by one value.
class Histogram {
 public:
  // `bounds` must be sorted ascending and outlive the histogram.
  explicit Histogram(const std::vector<double>& bounds);
  void Observe(double value);

  struct Snapshot {
    std::vector<std::uint64_t> buckets;  // per bound, then +Inf; not cumulative
    double sum = 0;
  };
  Snapshot Read() const;

 private:
  const std::vector<double>& bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, 0.5 ms to 10 s.
const std::vector<double>& DefaultLatencyBuckets();

// One metric name with its label names; one child per label-value set.
template <typename Metric>
class Family {
 public:
  // The child for these label values (as many as label names, in order).
  // Throws std::invalid_argument on a wrong count.
  Metric& WithLabels(std::initializer_list<std::string_view> values);
  Metric& WithLabels(const std::vector<std::string>& values);

 private:
  friend class MetricsRegistry;
  struct Child {
    std::vector<std::string> values;
    std::unique_ptr<Metric> metric;
  };
  Family(std::string name, std::string help, std::vector<std::string> labels,
         std::vector<double> bounds = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        labels_(std::move(labels)),
        bounds_(std::move(bounds)) {}
  template <typename Values>
  Metric& Find(const Values& values);
  std::unique_ptr<Metric> Make() const;
  void Render(std::string& out) const;

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> labels_;
  const std::vector<double> bounds_;  // histograms only
  mutable std::shared_mutex mutex_;
  std::map<std::string, Child, std::less<>> children_;  // key: values joined
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class MetricsRegistry {
 public:
  // The Content-Type of Render()'s output.
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Names follow Prometheus ([a-zA-Z_:][a-zA-Z0-9_:]*), label names too
  // (no ':', no leading "__", "le" is reserved). Throws std::invalid_argument
  // on a bad or duplicate name.
  CounterFamily& AddCounter(std::string name, std::string help, std::vector<std::string> labels);
  GaugeFamily& AddGauge(std::string name, std::string help, std::vector<std::string> labels);
  // `bounds`: strictly increasing upper bounds, +Inf implied.
  HistogramFamily& AddHistogram(std::string name, std::string help, std::vector<std::string> labels,
                                std::vector<double> bounds = DefaultLatencyBuckets());

  // Every family in registration order, children sorted by label values.
  std::string Render() const;

 private:
  struct Entry;
  void Register(const std::string& name, const std::vector<std::string>& labels);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace switchboard
