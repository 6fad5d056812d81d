// Config: the YAML configuration file, parsed once into plain structs.
//
// Every key has a default (below); unknown keys, duplicate keys and values of
// the wrong type are errors that name `file:line:col`. Durations are written
// with a unit (`10s`, `500ms`: config/duration.h) and held in milliseconds.
// Environment overrides (SWITCHBOARD_DATABASE_URL, SWITCHBOARD_LISTEN,
// SWITCHBOARD_ADMIN_TOKEN,
// SWITCHBOARD_MQTT_AUTH_TOKEN) are applied by LoadConfigFile after parsing. The
// rest of the program never sees a YAML node.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "switchboard/params.h"
#include "util/log.h"

namespace switchboard {

// A configuration problem; what() is `file:line:col: message`.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Formats `file:line:col: message` (or `file: message` without a mark).
std::string FormatLocated(const std::string& file, SourceMark mark, const std::string& message);

struct TlsSettings {
  std::string cert;  // PEM certificate chain path
  std::string key;   // PEM private key path
};

struct ServerConfig {
  std::string listen = "0.0.0.0:4002";  // SWITCHBOARD_LISTEN overrides
  int threads = 2;                      // REQUIRES: 1..256
  std::size_t max_body_bytes = 65536;   // larger request bodies get 413
  std::string admin_token_file;         // SWITCHBOARD_ADMIN_TOKEN overrides
  std::string admin_token;              // set from SWITCHBOARD_ADMIN_TOKEN only
  // Slow clients: time to send the request line and headers, then the body.
  std::chrono::milliseconds header_timeout{10'000};  // REQUIRES: 100ms..10m
  std::chrono::milliseconds body_timeout{30'000};    // REQUIRES: 100ms..10m
  // Idle keep-alive connections close after this.
  std::chrono::milliseconds keepalive_timeout{60'000};  // REQUIRES: 1s..1h
  std::optional<TlsSettings> tls;
  // Folder of the admin panel's files (served at /admin/). Unset: the folder
  // installed beside the executable, <exe>/../share/switchboard/admin.
  // "": no panel.
  std::optional<std::string> admin_panel_dir;
  // The log's line format: text (for people) or json (one object per line,
  // for a collector). util/log.h shows both. Default: text.
  LogFormat log_format = LogFormat::kText;
};

struct StorageConfig {
  std::string url = "sqlite3://db=var/switchboard.db timeout=5";  // SWITCHBOARD_DATABASE_URL
  int pool_size = 8;                                              // REQUIRES: 1..256
  bool auto_migrate = true;  // `serve` applies pending migrations on start
  // Longest wait for a pooled session before 503.
  std::chrono::milliseconds acquire_timeout{2'000};  // REQUIRES: 1ms..10m
  // PostgreSQL: connections batching the config fetch's device lookups
  // (device_read_pipeline.h), besides the pool. 0: a pooled session each.
  int fetch_pipeline_connections = 2;  // REQUIRES: 0..16
};

struct ChainStepConfig {
  enum class OnError { kContinue, kFail };

  std::string plugin;  // built-in name, looked up in plugin_dirs; or
  std::string path;    // a library file (exactly one of plugin/path is set)
  ParamValue params;   // free-form, validated by the plugin's factory
  OnError on_error = OnError::kContinue;
  SourceMark mark;  // where the step starts in the file
};

struct ResolutionConfig {
  std::vector<std::string> plugin_dirs = {"build/plugins", "/usr/lib/switchboard/plugins"};
  std::vector<ChainStepConfig> chain;  // order matters: the first Resolved wins
  SourceMark chain_mark;
};

struct ProvisioningConfig {
  // `{uuid}` is replaced by the device uuid, `{username}` by its MQTT
  // username (`device_<uuid>`).
  std::vector<std::string> publish_topics = {"iot/device/{uuid}/#"};
  std::vector<std::string> subscribe_topics = {"iot/device/{uuid}/#"};
};

// `mqtt_auth:`: the routes brokers call to admit devices live
// (core/src/domain/mqtt_auth.h, docs/mosquitto.md).
struct MqttAuthConfig {
  // The shared hook token brokers send (`Authorization: Bearer`); at least
  // 32 characters and not the admin token. SWITCHBOARD_MQTT_AUTH_TOKEN
  // overrides. Neither set: only per-broker tokens are accepted.
  std::string token_file;
  std::string token;  // set from SWITCHBOARD_MQTT_AUTH_TOKEN only
  // Admit a device only on the brokers of its endpoint list; each broker
  // then calls with its own token (POST /api/v1/mqtt/brokers/{id}/hook-token)
  // and the shared token is refused. Default: false.
  bool restrict_to_assigned = false;
  // Threads that check `$7$` password hashes, off the HTTP workers: at most
  // this many checks run at once. REQUIRES: 1..64. Default: 1.
  int verify_threads = 1;
  // Checks waiting for a thread; one more is answered 503 at once.
  // REQUIRES: 1..100000. Default: 256.
  int verify_queue = 256;
};

struct Config {
  std::string source_file;  // for messages and relative lookups
  ServerConfig server;
  StorageConfig storage;
  ResolutionConfig resolution;
  ProvisioningConfig provisioning;
  MqttAuthConfig mqtt_auth;
};

// Parses YAML text; `source_file` names it in messages. Throws ConfigError.
// Does not apply environment overrides.
Config ParseConfig(const std::string& yaml_text, const std::string& source_file);

// Reads and parses a file, then applies the environment overrides. Throws
// ConfigError (a missing file included).
Config LoadConfigFile(const std::string& path);

// Throws ConfigError when an override is malformed.
void ApplyEnvironmentOverrides(Config& config);

// True for `HOST:PORT` with PORT 0..65535 (0 = any free port); else fills `why`.
bool ValidListenAddress(const std::string& listen, std::string* why);

}  // namespace switchboard
