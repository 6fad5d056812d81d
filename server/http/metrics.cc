#include "http/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace switchboard {
namespace {

bool IsMetricName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (allow_colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string FormatDouble(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// Label values: backslash, double quote and line feed are escaped; HELP
// text: backslash and line feed.
std::string Escape(std::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

// {a="1",b="2"} (with `extra` appended, e.g. le="0.5"); empty when no label.
std::string LabelSet(const std::vector<std::string>& names, const std::vector<std::string>& values,
                     std::string_view extra = {}) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += names[i] + "=\"" + Escape(values[i], true) + "\"";
  }
  if (!extra.empty()) out += (out.empty() ? "{" : ",") + std::string(extra);
  return out.empty() ? out : out + "}";
}

// Length-prefixed, so no two value lists share a key.
template <typename Values>
std::string JoinKey(const Values& values) {
  std::string key;
  for (std::string_view v : values) {
    key += std::to_string(v.size());
    key += ':';
    key += v;
  }
  return key;
}

}  // namespace

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), buckets_(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  const size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                       bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snapshot;
  snapshot.buckets.reserve(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    snapshot.buckets.push_back(buckets_[i].load(std::memory_order_relaxed));
  }
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

const std::vector<double>& DefaultLatencyBuckets() {
  static const auto* buckets = new std::vector<double>{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *buckets;
}

template <typename Metric>
template <typename Values>
Metric& Family<Metric>::Find(const Values& values) {
  if (values.size() != labels_.size()) {
    throw std::invalid_argument("metric " + name_ + " takes " + std::to_string(labels_.size()) +
                                " label values");
  }
  const std::string key = JoinKey(values);
  {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    const auto it = children_.find(key);
    if (it != children_.end()) return *it->second.metric;
  }
  std::unique_lock<std::shared_mutex> lock(mutex_);
  auto [it, inserted] = children_.try_emplace(key);
  if (inserted) {
    it->second.values.assign(values.begin(), values.end());
    it->second.metric = Make();
  }
  return *it->second.metric;
}

template <typename Metric>
Metric& Family<Metric>::WithLabels(std::initializer_list<std::string_view> values) {
  return Find(values);
}

template <typename Metric>
Metric& Family<Metric>::WithLabels(const std::vector<std::string>& values) {
  return Find(values);
}

template <>
std::unique_ptr<Counter> Family<Counter>::Make() const {
  return std::make_unique<Counter>();
}
template <>
std::unique_ptr<Gauge> Family<Gauge>::Make() const {
  return std::make_unique<Gauge>();
}
template <>
std::unique_ptr<Histogram> Family<Histogram>::Make() const {
  return std::make_unique<Histogram>(bounds_);
}

template <>
void Family<Counter>::Render(std::string& out) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  for (const auto& [key, child] : children_) {
    out += name_ + LabelSet(labels_, child.values) + " " + std::to_string(child.metric->Value()) +
           "\n";
  }
}

template <>
void Family<Gauge>::Render(std::string& out) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  for (const auto& [key, child] : children_) {
    out +=
        name_ + LabelSet(labels_, child.values) + " " + FormatDouble(child.metric->Value()) + "\n";
  }
}

template <>
void Family<Histogram>::Render(std::string& out) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  for (const auto& [key, child] : children_) {
    const Histogram::Snapshot snapshot = child.metric->Read();
    std::uint64_t cumulative = 0;
    for (size_t i = 0; i < snapshot.buckets.size(); ++i) {
      cumulative += snapshot.buckets[i];
      const std::string le = i < bounds_.size() ? FormatDouble(bounds_[i]) : "+Inf";
      out += name_ + "_bucket" + LabelSet(labels_, child.values, "le=\"" + le + "\"") + " " +
             std::to_string(cumulative) + "\n";
    }
    const std::string labels = LabelSet(labels_, child.values);
    out += name_ + "_sum" + labels + " " + FormatDouble(snapshot.sum) + "\n";
    out += name_ + "_count" + labels + " " + std::to_string(cumulative) + "\n";
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

struct MetricsRegistry::Entry {
  std::string name;
  std::string help;
  std::string type;
  std::unique_ptr<CounterFamily> counter;
  std::unique_ptr<GaugeFamily> gauge;
  std::unique_ptr<HistogramFamily> histogram;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

void MetricsRegistry::Register(const std::string& name, const std::vector<std::string>& labels) {
  if (!IsMetricName(name, true)) throw std::invalid_argument("bad metric name '" + name + "'");
  for (const std::string& label : labels) {
    if (!IsMetricName(label, false) || label.starts_with("__") || label == "le") {
      throw std::invalid_argument("metric " + name + ": bad label name '" + label + "'");
    }
  }
  for (const auto& entry : entries_) {
    if (entry->name == name) throw std::invalid_argument("duplicate metric " + name);
  }
}

CounterFamily& MetricsRegistry::AddCounter(std::string name, std::string help,
                                           std::vector<std::string> labels) {
  std::lock_guard<std::mutex> lock(mutex_);
  Register(name, labels);
  auto entry = std::make_unique<Entry>(Entry{name, help, "counter", {}, {}, {}});
  entry->counter.reset(new CounterFamily(std::move(name), std::move(help), std::move(labels)));
  entries_.push_back(std::move(entry));
  return *entries_.back()->counter;
}

GaugeFamily& MetricsRegistry::AddGauge(std::string name, std::string help,
                                       std::vector<std::string> labels) {
  std::lock_guard<std::mutex> lock(mutex_);
  Register(name, labels);
  auto entry = std::make_unique<Entry>(Entry{name, help, "gauge", {}, {}, {}});
  entry->gauge.reset(new GaugeFamily(std::move(name), std::move(help), std::move(labels)));
  entries_.push_back(std::move(entry));
  return *entries_.back()->gauge;
}

HistogramFamily& MetricsRegistry::AddHistogram(std::string name, std::string help,
                                               std::vector<std::string> labels,
                                               std::vector<double> bounds) {
  if (bounds.empty() || !std::is_sorted(bounds.begin(), bounds.end()) ||
      std::adjacent_find(bounds.begin(), bounds.end()) != bounds.end() ||
      !std::all_of(bounds.begin(), bounds.end(), [](double b) { return std::isfinite(b); })) {
    throw std::invalid_argument("histogram " + name + ": bounds must be finite and increasing");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  Register(name, labels);
  auto entry = std::make_unique<Entry>(Entry{name, help, "histogram", {}, {}, {}});
  entry->histogram.reset(
      new HistogramFamily(std::move(name), std::move(help), std::move(labels), std::move(bounds)));
  entries_.push_back(std::move(entry));
  return *entries_.back()->histogram;
}

std::string MetricsRegistry::Render() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  for (const auto& entry : entries_) {
    out += "# HELP " + entry->name + " " + Escape(entry->help, false) + "\n";
    out += "# TYPE " + entry->name + " " + entry->type + "\n";
    if (entry->counter) entry->counter->Render(out);
    if (entry->gauge) entry->gauge->Render(out);
    if (entry->histogram) entry->histogram->Render(out);
  }
  return out;
}

}  // namespace switchboard
