// App: everything the HTTP handlers share, built once by `serve` (and by the
// integration tests, in-process).
//
// Thread-safe: handlers on every worker thread use one App. The chain is
// swapped atomically on reload (ChainHolder); everything else is fixed for
// the App's lifetime. Destroy the App only after HttpServer::Shutdown()
// returned (no handler runs any more).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "domain/brokers.h"
#include "domain/devices.h"
#include "domain/fleets.h"
#include "domain/hook_tokens.h"
#include "domain/mqtt_auth.h"
#include "domain/provisioning.h"
#include "domain/provisioning_keys.h"
#include "engine/chain.h"
#include "engine/chain_reload.h"
#include "http/metrics.h"
#include "storage/storage.h"
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
  MqttAuthService& mqtt_auth() { return mqtt_auth_; }
  HookTokens& hook_tokens() { return hook_tokens_; }
  // Where `POST /api/v1/mqtt/auth` runs its `$7$` checks, off the HTTP
  // workers (mqtt_auth.verify_threads / verify_queue).
  BoundedWorkPool& password_checks() { return password_checks_; }
  MetricsRegistry& metrics() { return metrics_; }

  // True when `presented` is the admin token (constant time). Always false
  // when no token is configured.
  bool IsAdminToken(std::string_view presented) const;
  bool admin_token_configured() const { return !admin_token_hash_.empty(); }

  // Storage answers and the schema is migrated (retrying a migration that
  // could not run at startup) and a chain is loaded. Never throws: a
  // migration that fails here is logged and answers false.
  bool Ready();

  // Re-reads the configuration file and swaps in its chain (SIGHUP,
  // POST /api/v1/admin/reload). Never throws.
  ReloadResult Reload();

  // Metrics the handlers feed (`GET /metrics`, docs/api.md).
  void RecordResolution(const std::vector<TraceStep>& trace);
  void RecordStorageError();
  // route: "auth" | "acl".
  void RecordHookDecision(const char* route, HookResult result);

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
  MqttAuthService mqtt_auth_;
  HookTokens hook_tokens_;
  MetricsRegistry metrics_;
  CounterFamily& resolutions_;
  CounterFamily& storage_errors_;
  CounterFamily& reloads_;
  CounterFamily& hook_decisions_;
  std::atomic<bool> migrated_{false};
  // Last: destroyed first, so its queued jobs finish while what they use
  // still exists.
  BoundedWorkPool password_checks_;
};

}  // namespace switchboard
