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
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "switchboard/params.h"
#include "util/failure_limiter.h"
#include "util/log.h"

namespace switchboard {

// A configuration problem; what() is `file:line:col: message`.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Formats `file:line:col: message` (or `file: message` without a mark).
std::string FormatLocated(const std::string& file, SourceMark mark, const std::string& message);

// The largest server.max_connections.
inline constexpr int kMaxConnectionsLimit = 1'000'000;

struct TlsSettings {
  std::string cert;  // PEM certificate chain path
  std::string key;   // PEM private key path
};

struct ServerConfig {
  std::string listen = "0.0.0.0:4002";  // SWITCHBOARD_LISTEN overrides
  int threads = 2;                      // REQUIRES: 1..256
  std::size_t max_body_bytes = 65536;   // larger request bodies get 413
  // Connections held at once; one beyond it is answered 503 and closed at
  // accept (server/http/http_server.h). Unset: DefaultMaxConnections() of
  // the process's descriptor limit. REQUIRES: 1..kMaxConnectionsLimit.
  std::optional<int> max_connections;
  std::string admin_token_file;  // SWITCHBOARD_ADMIN_TOKEN overrides
  std::string admin_token;       // set from SWITCHBOARD_ADMIN_TOKEN only
  // Slow clients: time to send the request line and headers, then the body.
  std::chrono::milliseconds header_timeout{10'000};  // REQUIRES: 100ms..10m
  std::chrono::milliseconds body_timeout{30'000};    // REQUIRES: 100ms..10m
  // Idle keep-alive connections close after this.
  std::chrono::milliseconds keepalive_timeout{60'000};  // REQUIRES: 1s..1h
  std::optional<TlsSettings> tls;
  // Proxies whose X-Forwarded-For names the client: addresses or CIDR
  // ranges ("10.0.0.0/8", "::1"), each checked when parsed. Default: none,
  // so the client is always the TCP peer (server/http/client_address.h).
  std::vector<std::string> trusted_proxies;
  // `auth_failures: {burst, refill, max_clients}`: wrong provisioning keys,
  // device API keys, admin tokens and hook tokens per client address
  // (util/failure_limiter.h). Defaults: 10, 6s (10 a minute), 100000.
  // REQUIRES: burst 1..100000, refill 10ms..1h, max_clients 1..10000000.
  FailureLimits auth_failures;
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
  // Broker secrets (password, client_key, extra_config) are sealed at rest
  // with AES-256-GCM under the key in this file: 64 hex digits, e.g.
  // `openssl rand -hex 32` (util/secret_box.h). Default: none, stored in
  // clear. Rows written in clear before still read.
  std::string secret_key_file;
  // Keys replaced by secret_key_file, still used to open older rows until
  // `switchboard rotate-secret-key` re-sealed them (docs/security.md).
  std::vector<std::string> previous_secret_key_files;
  // SQLite: create the database file when it does not exist. Not a YAML key:
  // `switchboard serve --create-database` sets it (`migrate` always may
  // create). Default: false, so a deleted database is never silently
  // replaced by an empty one (storage/sqlite_file.h).
  bool create_missing_database = false;
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

// `provisioning.reconnect`: how devices walk their endpoint list, sent to
// them as the response's `reconnect` object (docs/api.md).
struct ReconnectConfig {
  // The first retry's delay, doubled per failed attempt up to max_delay.
  std::chrono::milliseconds initial_delay{1'000};  // REQUIRES: 1ms..max_delay
  std::chrono::milliseconds max_delay{120'000};    // REQUIRES: initial_delay..1h
  // Each delay varies by up to this fraction either way. Written `25%` or
  // `0.25`. REQUIRES: 0..1.
  double jitter = 0.25;
  int attempts_per_endpoint = 3;  // before the next endpoint. REQUIRES: 1..100
  // Back on the first endpoint after this long on another one.
  std::chrono::milliseconds failback_after{300'000};  // REQUIRES: 1s..1d, whole seconds
};

struct ProvisioningConfig {
  // `{uuid}` is replaced by the device uuid, `{username}` by its MQTT
  // username (`device_<uuid>`).
  std::vector<std::string> publish_topics = {"iot/device/{uuid}/#"};
  std::vector<std::string> subscribe_topics = {"iot/device/{uuid}/#"};
  ReconnectConfig reconnect;
  // `provisioning.refresh_after`: how often a device re-fetches its config
  // (`refreshAfterSeconds`). REQUIRES: 1s..1d, whole seconds.
  std::chrono::milliseconds refresh_after{300'000};
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

// `health:`: the broker health monitor (core/src/health/health_monitor.h,
// docs/health.md). Cross-key rule: timeout < interval.
struct HealthConfig {
  // false: no monitor thread, no probe, no table writes; broker reads carry
  // no `health`. Default: true.
  bool enabled = true;
  // Per broker, between the end of one probe's claim and the next; each
  // broker's is stretched or shrunk by a random share up to `jitter`.
  // REQUIRES: 100ms..24h. Default: 15s.
  std::chrono::milliseconds interval{15'000};
  // One probe (DNS, TCP, TLS, CONNECT/CONNACK) is cut off after this.
  // REQUIRES: 10ms..10m and < interval. Default: 5s.
  std::chrono::milliseconds timeout{5'000};
  // Consecutive failures that turn a healthy broker unhealthy.
  // REQUIRES: 1..100. Default: 3.
  int unhealthy_threshold = 3;
  // Consecutive successes that turn an unhealthy broker healthy.
  // REQUIRES: 1..100. Default: 2.
  int healthy_threshold = 2;
  // `10%` in the YAML. REQUIRES: 0..50 (percent). Default: 10.
  int jitter_percent = 10;
  // Probes in flight at once in this instance. REQUIRES: 1..64. Default: 4.
  int concurrency = 4;
};

struct Config {
  std::string source_file;  // for messages and relative lookups
  ServerConfig server;
  StorageConfig storage;
  ResolutionConfig resolution;
  ProvisioningConfig provisioning;
  MqttAuthConfig mqtt_auth;
  HealthConfig health;
};

// Parses YAML text; `source_file` names it in messages. Throws ConfigError.
// Does not apply environment overrides.
Config ParseConfig(const std::string& yaml_text, const std::string& source_file);

// Reads and parses a file, then applies the environment overrides. Throws
// ConfigError: a missing or unreadable file, a directory, and, unless
// `allow_empty`, a file with no configuration in it (a reload must not turn a
// truncated file into the built-in defaults; at startup an empty file is
// the documented all-defaults configuration).
Config LoadConfigFile(const std::string& path, bool allow_empty = true);

// Throws ConfigError when an override is malformed.
void ApplyEnvironmentOverrides(Config& config);

// True for `HOST:PORT` with PORT 0..65535 (0 = any free port); else fills `why`.
bool ValidListenAddress(const std::string& listen, std::string* why);

// Descriptors `serve` may hold besides its HTTP connections: the storage
// pool (SQLite: the file and its WAL per connection), PostgreSQL's fetch
// pipeline, Pistache's epoll, event and timer descriptors per worker, the
// health monitor's probes, logs, the listening socket and plugins.
int DescriptorReserve(const Config& config);

// server.max_connections when it is not set: the soft RLIMIT_NOFILE
// (`open_file_limit`) less DescriptorReserve(), so that a connection flood
// is refused with 503 before storage runs out of descriptors; at least 16,
// at most kMaxConnectionsLimit.
int DefaultMaxConnections(std::uint64_t open_file_limit, const Config& config);

}  // namespace switchboard
