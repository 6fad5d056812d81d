#include "app.h"

#include <chrono>
#include <fstream>
#include <sstream>

#include "storage/migrations.h"
#include "util/crypto.h"

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
      storage_(std::make_unique<Storage>(config_.storage.url, config_.storage.pool_size,
                                         config_.storage.acquire_timeout,
                                         config_.storage.fetch_pipeline_connections)),
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
      password_checks_(config_.mqtt_auth.verify_threads,
                       static_cast<std::size_t>(config_.mqtt_auth.verify_queue),
                       "mqtt auth password checks", log_) {
  storage_errors_.WithLabels({});  // so the series shows 0 before the first error
  if (!config_.storage.auto_migrate) {
    migrated_ = true;  // the operator runs `switchboard migrate`
  } else {
    TryMigrate();
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

void App::RecordHookDecision(const char* route, HookResult result) {
  hook_decisions_.WithLabels({route, HookResultName(result)}).Inc();
}

}  // namespace switchboard
