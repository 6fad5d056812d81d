// App: everything the HTTP handlers share, built once by `serve` (and by the
// integration tests, in-process).
//
// Thread-safe: handlers on every worker thread use one App. The chain is
// swapped atomically on reload (ChainHolder); everything else is fixed for
// the App's lifetime. Destroy the App only after HttpServer::Shutdown()
// returned (no handler runs any more).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "config/config.h"
#include "domain/brokers.h"
#include "domain/device_reports.h"
#include "domain/devices.h"
#include "domain/fleets.h"
#include "domain/hook_tokens.h"
#include "domain/mqtt_auth.h"
#include "domain/provisioning.h"
#include "domain/provisioning_keys.h"
#include "engine/chain.h"
#include "engine/chain_reload.h"
#include "health/health_monitor.h"
#include "health/health_view.h"
#include "http/metrics.h"
#include "storage/storage.h"
#include "util/failure_limiter.h"
#include "util/work_pool.h"

namespace switchboard {

class App {
 public:
  // Opens the storage pool (connecting lazily: an unreachable database does
  // not stop startup), applies pending migrations when auto_migrate (retried
  // by Ready() when the database was unreachable), builds the chain, reads
  // the admin token and the MQTT hook token, starts the `$7$` check threads.
  // Throws ConfigError (`file:line:col: …`) for a bad chain or an unusable
  // admin or hook token; MigrationError when a migration fails.
  App(Config config, Logger& log);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  const Config& config() const { return config_; }
  Logger& log() { return log_; }
  Storage& storage() { return *storage_; }
  std::shared_ptr<const Chain> chain() const { return chain_.Current(); }
  Brokers& brokers() { return brokers_; }
  Fleets& fleets() { return fleets_; }
  Devices& devices() { return devices_; }
  ProvisioningKeys& keys() { return keys_; }
  ProvisioningService& provisioning() { return provisioning_; }
  DeviceReports& device_reports() { return device_reports_; }
  MqttAuthService& mqtt_auth() { return mqtt_auth_; }
  HookTokens& hook_tokens() { return hook_tokens_; }
  // Where `POST /api/v1/mqtt/auth` runs its `$7$` checks, off the HTTP
  // workers (mqtt_auth.verify_threads / verify_queue).
  BoundedWorkPool& password_checks() { return password_checks_; }
  // Where `POST /api/v1/mqtt/brokers/{id}/test` runs its probes, off the
  // HTTP workers: kBrokerProbeThreads at once, kBrokerProbeQueue waiting,
  // more answered 503 at once. Each probe is bounded by 5 s.
  static constexpr int kBrokerProbeThreads = 2;
  static constexpr int kBrokerProbeQueue = 2;
  BoundedWorkPool& broker_probes() { return broker_probes_; }
  MetricsRegistry& metrics() { return metrics_; }
  // Failed credentials per client address (server.auth_failures): the route
  // table takes a token before every credential check (route_table.cc).
  FailureLimiter& auth_failures() { return auth_failures_; }

  // The brokers' health as this instance last read it (health_view.h). With
  // `health.enabled: false`, a view whose snapshot is always empty (every
  // broker kUnknown). Never blocks on storage.
  const HealthView& health() const;
  // The monitor, or nullptr when `health.enabled: false`.
  HealthMonitor* health_monitor() { return health_monitor_.get(); }
  // Starts the health monitor's threads (`serve` does, once it listens; an
  // in-process test may). No-op when health is disabled or it runs already.
  void StartHealthMonitor();

  // Sets switchboard_broker_ca_expiry_seconds from the stored CA bundles.
  // GET /metrics calls it with `force` false: storage is read at most once a
  // minute, so a scrape rarely waits for the database (and picks up other
  // instances' edits within a minute); broker writes call it with `force`.
  // Never throws: when storage is unavailable the gauges keep their values.
  void RefreshCaExpiryMetric(bool force);

  // True when `presented` is the admin token (constant time). Always false
  // when no token is configured.
  bool IsAdminToken(std::string_view presented) const;
  bool admin_token_configured() const { return !admin_token_hash_.empty(); }

  // Storage answers and the schema is migrated (retrying a migration that
  // could not run at startup) and a chain is loaded, and on SQLite the file
  // is still the one the server started with (a deleted or replaced file is
  // logged once). Never throws: a migration that fails here is logged and
  // answers false.
  bool Ready();

  // Whether storage takes writes, as far as this instance knows: false from
  // a write that failed with StorageCannotWrite (NoteStorageCannotWrite)
  // until a probe write commits (ProbeWrite, storage/sql_errors.h), tried
  // at most once a second by the callers of this function: /readyz and
  // /metrics. Reads are unaffected, so /readyz stays 200 and says
  // `degraded` (docs/reliability.md). Feeds switchboard_storage_writable;
  // transitions are logged once each. Never throws.
  bool StorageWritable();
  void NoteStorageCannotWrite();

  // Re-reads the configuration file and swaps in its chain (SIGHUP,
  // POST /api/v1/admin/reload). Never throws.
  ReloadResult Reload();

  // Metrics the handlers feed (`GET /metrics`, docs/api.md).
  void RecordResolution(const std::vector<TraceStep>& trace);
  void RecordStorageError();
  // route: "auth" | "acl".
  void RecordHookDecision(const char* route, HookResult result);
  // credential: "provisioning_key" | "device_api_key" | "admin_token" |
  // "hook_token". A wrong credential, and an attempt refused with 429.
  void RecordAuthFailure(const char* credential);
  void RecordAuthThrottled(const char* credential);

 private:
  bool TryMigrate();

  const Config config_;
  Logger& log_;
  std::string admin_token_hash_;  // SHA-256 hex of the token; never the token
  std::unique_ptr<Storage> storage_;
  ChainHolder chain_;
  Brokers brokers_;
  Fleets fleets_;
  Devices devices_;
  ProvisioningKeys keys_;
  ProvisioningService provisioning_;
  DeviceReports device_reports_;
  MqttAuthService mqtt_auth_;
  HookTokens hook_tokens_;
  MetricsRegistry metrics_;
  CounterFamily& resolutions_;
  CounterFamily& storage_errors_;
  CounterFamily& reloads_;
  CounterFamily& hook_decisions_;
  GaugeFamily& broker_up_;
  HistogramFamily& probe_seconds_;
  CounterFamily& probes_;
  CounterFamily& transitions_;
  GaugeFamily& ca_expiry_;
  std::atomic<std::int64_t> ca_expiry_read_at_{0};  // steady clock, seconds
  DisabledHealthView disabled_health_;
  // After storage_ and the metric families it feeds, so it stops first.
  std::unique_ptr<HealthMonitor> health_monitor_;
  CounterFamily& auth_failures_total_;
  CounterFamily& auth_throttled_total_;
  FailureLimiter auth_failures_;
  std::atomic<bool> migrated_{false};
  std::atomic<bool> sqlite_file_lost_{false};  // logged once
  GaugeFamily& storage_writable_gauge_;
  std::atomic<bool> storage_writable_{true};
  std::mutex write_probe_mutex_;                          // one probe at a time
  std::chrono::steady_clock::time_point write_probe_at_;  // under the mutex
  // Last: destroyed first, so its queued jobs finish while what they use
  // still exists.
  BoundedWorkPool password_checks_;
  BoundedWorkPool broker_probes_;
};

}  // namespace switchboard
