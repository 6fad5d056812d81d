#include "app.h"

#include <chrono>
#include <fstream>
#include <sstream>

#include "storage/migrations.h"
#include "storage/sql_errors.h"
#include "util/crypto.h"
#include "util/secret_box.h"

namespace switchboard {
namespace {

// The admin token is a bearer secret: at least 32 characters (e.g. `openssl
// rand -hex 32`), so it cannot be guessed.
constexpr std::size_t kMinAdminTokenLength = 32;

std::string ReadAdminToken(const ServerConfig& server) {
  std::string token = server.admin_token;
  std::string source = "SWITCHBOARD_ADMIN_TOKEN";
  if (token.empty() && !server.admin_token_file.empty()) {
    std::ifstream in(server.admin_token_file);
    if (!in) {
      throw ConfigError(server.admin_token_file + ": cannot read the admin token file");
    }
    std::getline(in, token);
    source = server.admin_token_file;
  }
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (!token.empty() && token.size() < kMinAdminTokenLength) {
    throw ConfigError(source + ": the admin token must be at least " +
                      std::to_string(kMinAdminTokenLength) +
                      " characters (e.g. `openssl rand -hex 32`)");
  }
  return token;
}

std::string HashUnlessEmpty(const std::string& token) {
  return token.empty() ? std::string() : Sha256Hex(token);
}

}  // namespace

App::App(Config config, Logger& log)
    : config_(std::move(config)),
      log_(log),
      admin_token_hash_(HashUnlessEmpty(ReadAdminToken(config_.server))),
      storage_(std::make_unique<Storage>(
          config_.storage.url, config_.storage.pool_size, config_.storage.acquire_timeout,
          config_.storage.fetch_pipeline_connections,
          config_.storage.create_missing_database ? SqliteCreation::kCreateIfMissing
                                                  : SqliteCreation::kMustExist)),
      chain_(BuildChain(config_)),
      brokers_(*storage_),
      fleets_(*storage_),
      devices_(*storage_),
      keys_(*storage_),
      provisioning_(*storage_, config_.provisioning, log_),
      device_reports_(*storage_),
      mqtt_auth_(*storage_, config_.mqtt_auth, ReadSharedHookToken(config_.mqtt_auth),
                 admin_token_hash_, log_),
      hook_tokens_(*storage_),
      resolutions_(metrics_.AddCounter("switchboard_resolutions_total",
                                       "Resolution steps by plugin and outcome.",
                                       {"plugin", "outcome"})),
      storage_errors_(metrics_.AddCounter("switchboard_storage_errors_total",
                                          "Requests answered 503 because storage was unavailable.",
                                          {})),
      reloads_(metrics_.AddCounter("switchboard_chain_reloads_total", "Chain reloads by result.",
                                   {"result"})),
      hook_decisions_(metrics_.AddCounter(
          "switchboard_mqtt_hook_decisions_total",
          "Answers of POST /api/v1/mqtt/auth and /api/v1/mqtt/acl by route and result.",
          {"route", "result"})),
      broker_up_(metrics_.AddGauge("switchboard_broker_up",
                                   "1 when the broker is healthy, 0 when unhealthy (health "
                                   "monitor; absent while unknown).",
                                   {"broker"})),
      probe_seconds_(metrics_.AddHistogram("switchboard_broker_probe_seconds",
                                           "Duration of the health monitor's probes by result.",
                                           {"result"})),
      probes_(metrics_.AddCounter("switchboard_broker_probes_total",
                                  "Health probes this instance ran, by result.", {"result"})),
      transitions_(metrics_.AddCounter("switchboard_broker_transitions_total",
                                       "Broker health state changes this instance recorded.",
                                       {"broker", "from", "to"})),
      ca_expiry_(metrics_.AddGauge("switchboard_broker_ca_expiry_seconds",
                                   "Earliest notAfter of the broker's ca_cert bundle, in seconds "
                                   "since the Unix epoch.",
                                   {"broker"})),
      auth_failures_total_(metrics_.AddCounter(
          "switchboard_auth_failures_total",
          "Wrong credentials presented, by kind (provisioning_key, device_api_key, "
          "admin_token, hook_token).",
          {"credential"})),
      auth_throttled_total_(metrics_.AddCounter(
          "switchboard_auth_throttled_total",
          "Requests answered 429 because their address failed too often, by credential kind.",
          {"credential"})),
      auth_failures_(config_.server.auth_failures),
      storage_writable_gauge_(
          metrics_.AddGauge("switchboard_storage_writable",
                            "1 while storage takes writes, 0 after a write failed for a full "
                            "disk, a file-size limit, a read-only file or an I/O error, until a "
                            "probe write commits.",
                            {})),
      password_checks_(config_.mqtt_auth.verify_threads,
                       static_cast<std::size_t>(config_.mqtt_auth.verify_queue),
                       "mqtt auth password checks", log_),
      broker_probes_(kBrokerProbeThreads, kBrokerProbeQueue, "broker connection tests", log_) {
  storage_->UseSecretBox(SecretBox::FromKeyFiles(config_.storage.secret_key_file,
                                                 config_.storage.previous_secret_key_files));
  storage_errors_.WithLabels({});  // so the series shows 0 before the first error
  storage_writable_gauge_.WithLabels({}).Set(1);
  for (const char* kind : {"provisioning_key", "device_api_key", "admin_token", "hook_token"}) {
    auth_failures_total_.WithLabels({kind});
    auth_throttled_total_.WithLabels({kind});
  }
  if (!config_.storage.auto_migrate) {
    migrated_ = true;  // the operator runs `switchboard migrate`
  } else {
    TryMigrate();
  }
  if (config_.health.enabled) {
    HealthMonitorHooks hooks;
    hooks.probed = [this](const std::string&, bool ok, double seconds) {
      const char* result = ok ? "ok" : "fail";
      probes_.WithLabels({result}).Inc();
      probe_seconds_.WithLabels({result}).Observe(seconds);
    };
    hooks.transitioned = [this](const std::string& broker, HealthState from, HealthState to) {
      transitions_.WithLabels({broker, HealthStateName(from), HealthStateName(to)}).Inc();
      broker_up_.WithLabels({broker}).Set(to == HealthState::kHealthy ? 1 : 0);
    };
    hooks.refreshed = [this](const std::vector<NamedBrokerHealth>& brokers) {
      for (const NamedBrokerHealth& b : brokers) {
        if (b.health.state == HealthState::kUnknown) continue;
        broker_up_.WithLabels({b.name}).Set(b.health.state == HealthState::kHealthy ? 1 : 0);
      }
    };
    health_monitor_ =
        std::make_unique<HealthMonitor>(*storage_, config_.health, log_, std::move(hooks));
    probes_.WithLabels({"ok"});  // so the series show 0 before the first probe
    probes_.WithLabels({"fail"});
  }
  // Every endpoint list (registration, fetch) is ordered by it; with health
  // off the view is always empty and the order is the chain's.
  provisioning_.UseHealthView(&health());
}

const HealthView& App::health() const {
  if (health_monitor_) return *health_monitor_;
  return disabled_health_;
}

void App::StartHealthMonitor() {
  if (health_monitor_) health_monitor_->Start();
}

void App::RefreshCaExpiryMetric(bool force) {
  constexpr std::int64_t kEverySeconds = 60;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  std::int64_t last = ca_expiry_read_at_.load();
  if (!force && last != 0 && now - last < kEverySeconds) return;
  if (!ca_expiry_read_at_.compare_exchange_strong(last, now) && !force) return;
  try {
    for (const auto& [name, bundle] : brokers_.CaBundles()) {
      ca_expiry_.WithLabels({name}).Set(static_cast<double>(bundle.earliest_not_after_unix));
    }
  } catch (const std::exception&) {
    // Storage unavailable: the gauges keep their values, /readyz and
    // switchboard_storage_errors_total tell the story.
    ca_expiry_read_at_ = 0;
  }
}

App::~App() = default;

bool App::TryMigrate() {
  try {
    for (const Migration& m : ApplyMigrations(*storage_)) log_.Info("applied migration " + m.file);
    migrated_ = true;
  } catch (const StorageUnavailable& e) {
    log_.Warn(std::string("migrations not applied yet: ") + e.what() + "; retried by /readyz");
  }
  return migrated_;
}

bool App::IsAdminToken(std::string_view presented) const {
  if (admin_token_hash_.empty() || presented.empty()) return false;
  return ConstantTimeEquals(Sha256Hex(presented), admin_token_hash_);
}

bool App::Ready() {
  if (!storage_->sqlite_file_intact()) {
    if (!sqlite_file_lost_.exchange(true)) {
      log_.Error(
          "the SQLite database file was deleted or replaced under the running server: "
          "unready, writes refused (restore the file and restart)");
    }
    return false;
  }
  if (!storage_->Ping()) return false;
  if (!migrated_) {
    // A migration that fails now (storage lost half-way, or a broken file
    // met only now) leaves the server unready, not /readyz failing with 500.
    try {
      if (!TryMigrate()) return false;
    } catch (const std::exception& e) {
      log_.Error(std::string("migrations failed: ") + e.what());
      return false;
    }
  }
  return chain() != nullptr;
}

void App::NoteStorageCannotWrite() {
  // The failure was as good as a probe: the next one waits a second. Not
  // behind a probe in progress, though (the request would wait for it).
  if (std::unique_lock lock(write_probe_mutex_, std::try_to_lock); lock.owns_lock()) {
    write_probe_at_ = std::chrono::steady_clock::now();
  }
  if (!storage_writable_.exchange(false)) return;
  storage_writable_gauge_.WithLabels({}).Set(0);
  log_.Warn(
      "storage cannot write (disk full, file-size limit, read-only file or I/O error): writes "
      "are answered 503 and reads still served; /readyz says degraded until a probe write "
      "commits");
}

bool App::StorageWritable() {
  if (storage_writable_.load()) return true;
  // Other callers meanwhile answer from the flag instead of queueing up
  // behind the probe.
  std::unique_lock lock(write_probe_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return false;
  const auto now = std::chrono::steady_clock::now();
  if (now - write_probe_at_ < std::chrono::seconds(1)) return false;
  write_probe_at_ = now;
  if (!ProbeWrite(*storage_)) return false;
  if (storage_writable_.exchange(true)) return true;
  storage_writable_gauge_.WithLabels({}).Set(1);
  log_.Info("storage takes writes again: /readyz says ready");
  return true;
}

ReloadResult App::Reload() {
  ReloadResult result = ReloadChain(chain_, config_.source_file, log_);
  reloads_.WithLabels({result.ok ? "success" : "failure"}).Inc();
  return result;
}

void App::RecordResolution(const std::vector<TraceStep>& trace) {
  for (const TraceStep& step : trace) {
    resolutions_.WithLabels({step.plugin, OutcomeName(step.outcome)}).Inc();
  }
}

void App::RecordStorageError() { storage_errors_.WithLabels({}).Inc(); }

void App::RecordAuthFailure(const char* credential) {
  auth_failures_total_.WithLabels({credential}).Inc();
}

void App::RecordAuthThrottled(const char* credential) {
  auth_throttled_total_.WithLabels({credential}).Inc();
}

void App::RecordHookDecision(const char* route, HookResult result) {
  hook_decisions_.WithLabels({route, HookResultName(result)}).Inc();
}

}  // namespace switchboard
