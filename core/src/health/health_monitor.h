// HealthMonitor: probes every active broker on its own threads and keeps
// the shared health state (health_store.h) and this instance's snapshot of
// it (HealthView) fresh. docs/health.md explains the model and the numbers.
//
// Threads. Start() launches one scheduler thread and `concurrency` probe
// threads; nothing else (no HTTP worker) ever waits for a probe or for the
// monitor's database work. The scheduler wakes every tick (interval / 10,
// between 20 ms and 1 s), claims due brokers while a probe thread is free,
// and every min(interval, 1 s) adds rows for new brokers and re-reads every
// broker's state into the snapshot, so an instance that probed none of them
// still sees the state the others wrote. This instance's own results reach
// its snapshot at once, or (when many arrive together) within one tick.
// Each probe is the existing broker probe (probe/broker_probe.h) with the
// broker's server-side credentials, cut off at `timeout`; the probe returns
// within about `timeout` whatever the peer does, so a broker that accepts
// TCP and never answers holds a thread for `timeout` only.
//
// Each broker is next due `interval` after its probe was claimed, stretched
// or shrunk by a random share of up to `jitter` (so brokers added together
// drift apart and the instances do not probe in step).
//
// Errors: a database that cannot be reached is logged (once per outage, and
// when it is back) and retried on the next tick; the snapshot keeps the last
// state read. A probe failure is a result, never an error.
//
// Thread safety: Current() is safe from any thread and never blocks on
// storage. Start() and Stop() from one thread (the owner's). The destructor
// calls Stop(). The hooks run on the monitor's threads and must be
// thread-safe and quick.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "health/health_store.h"
#include "health/health_view.h"
#include "storage/storage.h"
#include "switchboard/logger.h"

namespace switchboard {

// What the monitor reports as it goes (the App turns these into /metrics).
// Any may be empty.
struct HealthMonitorHooks {
  // After every probe this instance ran: the broker's name, the outcome and
  // how long the probe took.
  std::function<void(const std::string& broker, bool ok, double seconds)> probed;
  // After a probe changed a broker's state.
  std::function<void(const std::string& broker, HealthState from, HealthState to)> transitioned;
  // After the snapshot was re-read from storage: every active broker with a
  // row.
  std::function<void(const std::vector<NamedBrokerHealth>&)> refreshed;
};

class HealthMonitor : public HealthView {
 public:
  // REQUIRES: `config` passes config.cc's checks (timeout < interval, …).
  // `storage` and `log` must outlive the monitor. Starts nothing.
  HealthMonitor(Storage& storage, const HealthConfig& config, Logger& log,
                HealthMonitorHooks hooks = {});
  ~HealthMonitor() override;
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  // Launches the threads. No-op when already running.
  void Start();
  // Stops claiming, lets the probes in flight finish (each within about
  // `timeout`) and joins the threads. Leases of brokers claimed but not yet
  // probed lapse by themselves. No-op when not running.
  void Stop();

  std::shared_ptr<const HealthSnapshot> Current() const override;

  // This instance's name in `checked_by` (HealthInstanceName()).
  const std::string& instance() const { return store_.instance(); }
  HealthStore& store() { return store_; }

 private:
  void ScheduleLoop();
  void ProbeLoop();
  void ProbeOne(std::int64_t broker_id);
  void Refresh();
  void Publish(std::int64_t broker_id, const BrokerHealth& health);
  void PublishPending();
  void NoteStorage(bool ok, const std::string& what);

  Storage& storage_;
  const HealthConfig config_;
  Logger& log_;
  const HealthMonitorHooks hooks_;
  HealthStore store_;

  mutable std::mutex snapshot_mutex_;  // guards snapshot_ and pending_; never held for I/O
  std::shared_ptr<const HealthSnapshot> snapshot_;
  // This instance's results not yet in snapshot_ (PublishPending()).
  std::unordered_map<std::int64_t, BrokerHealth> pending_;
  std::chrono::steady_clock::time_point next_publish_{};

  std::mutex mutex_;  // guards what follows
  std::condition_variable wake_scheduler_;
  std::condition_variable wake_probers_;
  std::deque<std::int64_t> queue_;  // claimed, waiting for a probe thread
  int in_flight_ = 0;               // claimed and not yet recorded
  bool slot_freed_ = false;         // a probe ended since the scheduler last looked
  bool stopping_ = false;
  bool running_ = false;

  std::atomic<bool> storage_down_{false};
  std::thread scheduler_;
  std::vector<std::thread> probers_;
};

// The view when `health.enabled: false`: always an empty snapshot, so every
// broker is kUnknown.
class DisabledHealthView : public HealthView {
 public:
  std::shared_ptr<const HealthSnapshot> Current() const override;
};

}  // namespace switchboard
