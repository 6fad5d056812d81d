#include "health/health_monitor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "config/duration.h"
#include "probe/broker_probe.h"
#include "storage/broker_rows.h"
#include "storage/sql_errors.h"
#include "util/time.h"

namespace switchboard {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

// The snapshot is copied for this instance's own results at most this
// often; results in between wait for the next probe or scheduler tick.
constexpr std::chrono::milliseconds kPublishEvery{50};

// How often the scheduler looks for due brokers: often enough that a broker
// is probed within a tenth of an interval of being due.
std::chrono::milliseconds TickOf(const HealthConfig& config) {
  return std::clamp(config.interval / 10, std::chrono::milliseconds(20),
                    std::chrono::milliseconds(1000));
}

// How long a claim holds: the probe (at most `timeout`) and the write of
// its outcome, with room for a slow database. A crashed instance's brokers
// wait this long, past their due time, for another instance.
std::chrono::milliseconds LeaseOf(const HealthConfig& config) {
  return 2 * config.timeout + std::chrono::milliseconds(1000);
}

// `interval` stretched or shrunk by a uniform share in [-jitter, +jitter].
std::chrono::milliseconds Jittered(const HealthConfig& config) {
  if (config.jitter_percent == 0) return config.interval;
  thread_local std::mt19937_64 random{std::random_device{}()};
  const double share = config.jitter_percent / 100.0;
  std::uniform_real_distribution<double> spread(-share, share);
  const double ms = static_cast<double>(config.interval.count()) * (1.0 + spread(random));
  return std::chrono::milliseconds(std::max<long long>(1, std::llround(ms)));
}

std::string Describe(const std::string& name, std::int64_t id) {
  return "broker '" + name + "' (id " + std::to_string(id) + ")";
}

}  // namespace

HealthMonitor::HealthMonitor(Storage& storage, const HealthConfig& config, Logger& log,
                             HealthMonitorHooks hooks)
    : storage_(storage),
      config_(config),
      log_(log),
      hooks_(std::move(hooks)),
      store_(storage, HealthInstanceName()),
      snapshot_(std::make_shared<HealthSnapshot>()) {}

HealthMonitor::~HealthMonitor() { Stop(); }

void HealthMonitor::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  scheduler_ = std::thread([this] { ScheduleLoop(); });
  for (int i = 0; i < config_.concurrency; ++i) {
    probers_.emplace_back([this] { ProbeLoop(); });
  }
  log_.Info("health: monitoring brokers as " + store_.instance() + " (interval " +
            FormatDuration(config_.interval) + ", timeout " + FormatDuration(config_.timeout) +
            ", " + std::to_string(config_.concurrency) + " probes at once)");
}

void HealthMonitor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!running_) return;
    stopping_ = true;
  }
  wake_scheduler_.notify_all();
  wake_probers_.notify_all();
  scheduler_.join();
  for (std::thread& t : probers_) t.join();
  probers_.clear();
  std::lock_guard<std::mutex> lock(mutex_);
  queue_.clear();
  in_flight_ = 0;
  running_ = false;
}

std::shared_ptr<const HealthSnapshot> HealthMonitor::Current() const {
  std::lock_guard<std::mutex> lock(snapshot_mutex_);
  return snapshot_;
}

void HealthMonitor::ScheduleLoop() {
  const auto tick = TickOf(config_);
  const auto refresh_every = std::min<std::chrono::milliseconds>(config_.interval, 1000ms);
  auto next_refresh = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    const int free = config_.concurrency - in_flight_;
    lock.unlock();
    PublishPending();  // what arrived since the last probe published
    if (std::chrono::steady_clock::now() >= next_refresh) {
      try {
        store_.AddMissingRows(UtcNowIso8601());
        Refresh();
        NoteStorage(true, "");
      } catch (const std::exception& e) {
        NoteStorage(false, e.what());
      }
      next_refresh = std::chrono::steady_clock::now() + refresh_every;
    }
    std::vector<std::int64_t> claimed;
    const auto claimed_at = Clock::now();
    if (free > 0) {
      try {
        claimed = store_.ClaimDue(UtcIso8601(claimed_at), UtcIso8601(claimed_at + LeaseOf(config_)),
                                  free);
      } catch (const std::exception& e) {
        NoteStorage(false, e.what());
      }
    }
    lock.lock();
    for (std::int64_t id : claimed) {
      queue_.push_back(id);
      ++in_flight_;
    }
    if (!claimed.empty()) wake_probers_.notify_all();
    // A full claim means more brokers may be due: claim again as soon as a
    // probe thread is free (at once if one freed up meanwhile), so a backlog
    // drains at probe speed rather than `free` brokers per tick. Otherwise
    // nothing more is due before the next tick.
    const bool backlog = static_cast<int>(claimed.size()) == free;
    if (backlog && in_flight_ < config_.concurrency) continue;
    slot_freed_ = false;
    wake_scheduler_.wait_for(lock, tick, [&] { return stopping_ || (backlog && slot_freed_); });
  }
}

void HealthMonitor::ProbeLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_probers_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    const std::int64_t id = queue_.front();
    queue_.pop_front();
    lock.unlock();
    ProbeOne(id);
    lock.lock();
    --in_flight_;
    slot_freed_ = true;
    wake_scheduler_.notify_all();
  }
}

void HealthMonitor::ProbeOne(std::int64_t broker_id) {
  // The next due time counts from the claim, so the interval is start to
  // start whatever the probe takes.
  const auto started = Clock::now();
  try {
    std::optional<BrokerConfig> broker;
    ReadWithRetry(storage_, [&](soci::session& sql) { broker = LoadBrokerById(sql, broker_id); });
    // Deleted or deactivated since the claim: its lease lapses by itself
    // and inactive brokers are never claimed.
    if (!broker || !broker->is_active) return;

    const auto probe_start = std::chrono::steady_clock::now();
    const ProbeResult result = ProbeBroker(*broker, config_.timeout);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - probe_start).count();
    if (hooks_.probed) hooks_.probed(broker->name, result.reachable, seconds);

    HealthCheck check;
    check.checked_at = UtcNowIso8601();
    check.ok = result.reachable;
    check.stage = ProbeStageName(result.stage);
    check.latency_ms = std::llround(result.latency_ms);
    check.error = result.error;
    check.checked_by = store_.instance();
    const std::string name = broker->name;
    broker.reset();  // the secrets go now; nothing below needs them

    const std::optional<RecordedProbe> recorded =
        store_.Record(broker_id, check, {config_.unhealthy_threshold, config_.healthy_threshold},
                      UtcIso8601(started + Jittered(config_)));
    NoteStorage(true, "");
    if (!recorded) return;  // another instance took the lease over
    Publish(broker_id, recorded->health);
    if (recorded->after.state != recorded->before) {
      const int streak = check.ok ? recorded->after.success_streak : recorded->after.failure_streak;
      log_.Info("health: " + Describe(name, broker_id) + " " + HealthStateName(recorded->before) +
                " -> " + HealthStateName(recorded->after.state) + " after " +
                std::to_string(streak) + (check.ok ? " successful" : " failed") + " probe" +
                (streak == 1 ? "" : "s") + (check.ok ? "" : " (" + check.error + ")"));
      if (hooks_.transitioned) hooks_.transitioned(name, recorded->before, recorded->after.state);
    }
  } catch (const std::exception& e) {
    NoteStorage(false, e.what());
  }
}

void HealthMonitor::Refresh() {
  const std::vector<NamedBrokerHealth> rows = store_.LoadActive();
  auto snapshot = std::make_shared<HealthSnapshot>();
  for (const NamedBrokerHealth& row : rows) snapshot->brokers[row.broker_id] = row.health;
  {
    std::lock_guard<std::mutex> lock(snapshot_mutex_);
    snapshot_ = std::move(snapshot);
  }
  if (hooks_.refreshed) hooks_.refreshed(rows);
}

void HealthMonitor::Publish(std::int64_t broker_id, const BrokerHealth& health) {
  {
    std::lock_guard<std::mutex> lock(snapshot_mutex_);
    pending_[broker_id] = health;
    if (std::chrono::steady_clock::now() < next_publish_) return;
  }
  PublishPending();
}

void HealthMonitor::PublishPending() {
  std::lock_guard<std::mutex> lock(snapshot_mutex_);
  if (pending_.empty()) return;
  next_publish_ = std::chrono::steady_clock::now() + kPublishEvery;
  // One copy of the snapshot for every result since the last call: copying
  // it per probe cost more than the probe itself at 1,000 brokers.
  auto next = std::make_shared<HealthSnapshot>(*snapshot_);
  for (auto& [id, health] : pending_) next->brokers[id] = std::move(health);
  pending_.clear();
  snapshot_ = std::move(next);
}

void HealthMonitor::NoteStorage(bool ok, const std::string& what) {
  if (ok) {
    if (storage_down_.exchange(false)) log_.Info("health: storage reachable again");
  } else if (!storage_down_.exchange(true)) {
    log_.Warn("health: storage unavailable, retrying every tick: " + what);
  }
}

std::shared_ptr<const HealthSnapshot> DisabledHealthView::Current() const {
  static const auto kEmpty = std::make_shared<const HealthSnapshot>();
  return kEmpty;
}

}  // namespace switchboard
