#include "config/config.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "test_database.h"

namespace switchboard {
namespace {

std::string ErrorOf(const std::string& yaml) {
  try {
    ParseConfig(yaml, "test.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigTest, EmptyFileGivesDocumentedDefaults) {
  const Config config = ParseConfig("", "empty.yaml");
  EXPECT_EQ(config.server.listen, "0.0.0.0:4002");
  EXPECT_EQ(config.server.threads, 2);
  EXPECT_EQ(config.server.max_body_bytes, 65536u);
  EXPECT_EQ(config.storage.url, "sqlite3://db=var/switchboard.db timeout=5");
  EXPECT_EQ(config.storage.pool_size, 8);
  EXPECT_EQ(config.storage.fetch_pipeline_connections, 2);
  EXPECT_TRUE(config.storage.auto_migrate);
  EXPECT_EQ(config.server.header_timeout, std::chrono::seconds(10));
  EXPECT_EQ(config.server.body_timeout, std::chrono::seconds(30));
  EXPECT_EQ(config.server.keepalive_timeout, std::chrono::seconds(60));
  EXPECT_EQ(config.storage.acquire_timeout, std::chrono::seconds(2));
  ASSERT_EQ(config.resolution.chain.size(), 5u);
  const char* expected[] = {"device", "fleet", "regional", "default", "env"};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(config.resolution.chain[i].plugin, expected[i]);
  EXPECT_EQ(config.provisioning.publish_topics, std::vector<std::string>{"iot/device/{uuid}/#"});
}

// configs/switchboard.yaml says its values are the defaults: the durations
// it shows must parse to exactly what an empty file gives.
TEST(ConfigTest, ShippedConfigShowsTheDefaultDurations) {
  const std::string path = std::string(SWITCHBOARD_SOURCE_DIR) + "/configs/switchboard.yaml";
  const Config shipped = ParseConfig(testing::ReadFile(path), path);
  const Config defaults = ParseConfig("", "empty.yaml");
  EXPECT_EQ(shipped.server.header_timeout, defaults.server.header_timeout);
  EXPECT_EQ(shipped.server.body_timeout, defaults.server.body_timeout);
  EXPECT_EQ(shipped.server.keepalive_timeout, defaults.server.keepalive_timeout);
  EXPECT_EQ(shipped.storage.acquire_timeout, defaults.storage.acquire_timeout);
}

TEST(ConfigTest, ReadsEverySection) {
  const Config config = ParseConfig(R"(
server:
  listen: 127.0.0.1:0
  threads: 4
  max_body_bytes: 2048
  admin_token_file: /tmp/token
  header_timeout: 1m30s
  body_timeout: 250ms
  keepalive_timeout: 45m
  tls: { cert: a.crt, key: a.key }
storage:
  url: "postgresql://host=127.0.0.1 port=5432 dbname=x user=y"
  pool_size: 3
  auto_migrate: false
  acquire_timeout: 5s
  fetch_pipeline_connections: 0
resolution:
  plugin_dirs: [/opt/plugins]
  chain:
    - plugin: device
    - path: /opt/acme/libgeo.so
      params: { zones: [a, b], weight: 3 }
      on_error: fail
provisioning:
  topics:
    publish: ["p/{uuid}"]
    subscribe: ["s/{uuid}", "broadcast"]
)",
                                    "full.yaml");
  EXPECT_EQ(config.server.listen, "127.0.0.1:0");
  EXPECT_EQ(config.server.threads, 4);
  EXPECT_EQ(config.server.header_timeout, std::chrono::seconds(90));
  EXPECT_EQ(config.server.body_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(config.server.keepalive_timeout, std::chrono::minutes(45));
  EXPECT_EQ(config.storage.acquire_timeout, std::chrono::seconds(5));
  ASSERT_TRUE(config.server.tls.has_value());
  EXPECT_EQ(config.server.tls->key, "a.key");
  EXPECT_FALSE(config.storage.auto_migrate);
  EXPECT_EQ(config.storage.pool_size, 3);
  EXPECT_EQ(config.storage.fetch_pipeline_connections, 0);
  ASSERT_EQ(config.resolution.chain.size(), 2u);
  const ChainStepConfig& step = config.resolution.chain[1];
  EXPECT_EQ(step.path, "/opt/acme/libgeo.so");
  EXPECT_EQ(step.on_error, ChainStepConfig::OnError::kFail);
  EXPECT_EQ(step.mark.line, 21);
  ASSERT_TRUE(step.params.IsMap());
  ASSERT_EQ(step.params.entries.size(), 2u);
  EXPECT_EQ(step.params.entries[0].first, "zones");
  EXPECT_EQ(step.params.entries[0].second.items.size(), 2u);
  EXPECT_EQ(step.params.entries[1].second.scalar, "3");
  EXPECT_EQ(step.params.entries[1].second.mark.line, 22);
  EXPECT_EQ(config.provisioning.subscribe_topics.size(), 2u);
}

TEST(ConfigTest, LogFormatIsTextOrJson) {
  EXPECT_EQ(ParseConfig("server:\n  log_format: json\n", "test.yaml").server.log_format,
            LogFormat::kJson);
  EXPECT_EQ(ParseConfig("server:\n  threads: 2\n", "test.yaml").server.log_format,
            LogFormat::kText);
  EXPECT_EQ(ErrorOf("server:\n  log_format: xml\n"),
            "test.yaml:2:15: server.log_format must be 'text' or 'json', got 'xml'");
}

TEST(ConfigTest, MaxConnectionsIsRangeCheckedWithItsLocation) {
  EXPECT_FALSE(ParseConfig("server:\n  threads: 2\n", "test.yaml").server.max_connections);
  EXPECT_EQ(ParseConfig("server:\n  max_connections: 500\n", "test.yaml").server.max_connections,
            500);
  EXPECT_EQ(ErrorOf("server:\n  max_connections: 0\n"),
            "test.yaml:2:20: server.max_connections must be between 1 and 1000000, got 0");
  EXPECT_EQ(ErrorOf("server:\n  threads: 2\n  max_connections: 1000001\n"),
            "test.yaml:3:20: server.max_connections must be between 1 and 1000000, got 1000001");
  EXPECT_EQ(ErrorOf("server:\n  max_connections: many\n"),
            "test.yaml:2:20: server.max_connections must be an integer, got 'many'");
}

TEST(ConfigTest, DefaultMaxConnectionsLeavesDescriptorsForStorage) {
  Config config;
  const int reserve = DescriptorReserve(config);
  EXPECT_GE(reserve, 64 + 3 * config.storage.pool_size);
  EXPECT_EQ(DefaultMaxConnections(1024, config), 1024 - reserve);
  // A bigger pool takes more of the same limit.
  Config big_pool;
  big_pool.storage.pool_size = 64;
  EXPECT_LT(DefaultMaxConnections(1024, big_pool), DefaultMaxConnections(1024, config));
  // A limit smaller than the reserve still lets a few clients in; an
  // unlimited one is capped.
  EXPECT_EQ(DefaultMaxConnections(20, config), 16);
  EXPECT_EQ(DefaultMaxConnections(~std::uint64_t{0}, config), kMaxConnectionsLimit);
}

TEST(ConfigTest, UnknownKeyNamesLocationAndSuggestion) {
  EXPECT_EQ(ErrorOf("server:\n  threads: 2\n  listne: 0.0.0.0:1\n"),
            "test.yaml:3:3: unknown key 'listne' in server (did you mean 'listen'?); known keys: "
            "listen, threads, max_body_bytes, max_connections, admin_token_file, header_timeout, "
            "body_timeout, keepalive_timeout, admin_panel_dir, trusted_proxies, auth_failures, "
            "log_format, tls");
  EXPECT_EQ(
      ErrorOf("storage: {}\nresolutoin: {}\n").rfind("test.yaml:2:1: unknown key 'resolutoin'", 0),
      0u);
}

TEST(ConfigTest, AdminPanelDirIsUnsetSetOrEmptyForOff) {
  EXPECT_FALSE(ParseConfig("", "t.yaml").server.admin_panel_dir.has_value());
  EXPECT_EQ(
      ParseConfig("server:\n  admin_panel_dir: /srv/panel\n", "t.yaml").server.admin_panel_dir,
      std::optional<std::string>("/srv/panel"));
  EXPECT_EQ(ParseConfig("server:\n  admin_panel_dir: \"\"\n", "t.yaml").server.admin_panel_dir,
            std::optional<std::string>(""));
  EXPECT_EQ(ErrorOf("server:\n  admin_panel_dir: [a]\n"),
            "test.yaml:2:20: server.admin_panel_dir must be a string");
}

TEST(ConfigTest, TrustedProxiesAreAddressesOrRangesCheckedAtParse) {
  EXPECT_TRUE(ParseConfig("", "t.yaml").server.trusted_proxies.empty());
  EXPECT_EQ(ParseConfig("server:\n  trusted_proxies: [10.0.0.0/8, \"::1\"]\n", "t.yaml")
                .server.trusted_proxies,
            (std::vector<std::string>{"10.0.0.0/8", "::1"}));
  EXPECT_EQ(ErrorOf("server:\n  trusted_proxies: [10.0.0.0/8, nginx]\n"),
            "test.yaml:2:33: server.trusted_proxies: 'nginx' is not an IP address or range (e.g. "
            "10.0.0.0/8, fd00::/8, 127.0.0.1)");
  EXPECT_EQ(ErrorOf("server:\n  trusted_proxies: 10.0.0.1\n"),
            "test.yaml:2:20: server.trusted_proxies must be a list of addresses or ranges");
  EXPECT_EQ(ErrorOf("server:\n  trusted_proxies: [10.0.0.0/33]\n"),
            "test.yaml:2:21: server.trusted_proxies: '10.0.0.0/33': the prefix length must be "
            "0..32");
}

TEST(ConfigTest, AuthFailureLimitsHaveDefaultsAndRanges) {
  const FailureLimits defaults = ParseConfig("", "t.yaml").server.auth_failures;
  EXPECT_EQ(defaults.burst, 10);
  EXPECT_EQ(defaults.refill, std::chrono::milliseconds(6000));
  EXPECT_EQ(defaults.max_clients, 100000u);
  const FailureLimits set =
      ParseConfig("server:\n  auth_failures: {burst: 3, refill: 1m, max_clients: 50}\n", "t.yaml")
          .server.auth_failures;
  EXPECT_EQ(set.burst, 3);
  EXPECT_EQ(set.refill, std::chrono::milliseconds(60000));
  EXPECT_EQ(set.max_clients, 50u);
  EXPECT_EQ(ErrorOf("server:\n  auth_failures: {burst: 0}\n"),
            "test.yaml:2:26: server.auth_failures.burst must be between 1 and 100000, got 0");
  EXPECT_EQ(ErrorOf("server:\n  auth_failures: {refill: 6}\n")
                .rfind("test.yaml:2:27: server.auth_failures.refill ", 0),
            0u);
  EXPECT_EQ(ErrorOf("server:\n  auth_failures: {per_minute: 6}\n")
                .rfind("test.yaml:2:19: unknown key 'per_minute' in server.auth_failures", 0),
            0u);
}

TEST(ConfigTest, WrongTypesNameLocation) {
  EXPECT_EQ(ErrorOf("server:\n  threads: many\n"),
            "test.yaml:2:12: server.threads must be an integer, got 'many'");
  EXPECT_EQ(ErrorOf("server:\n  threads: 0\n"),
            "test.yaml:2:12: server.threads must be between 1 and 256, got 0");
  EXPECT_EQ(ErrorOf("storage:\n  fetch_pipeline_connections: 17\n"),
            "test.yaml:2:31: storage.fetch_pipeline_connections must be between 0 and 16, got 17");
  EXPECT_EQ(ErrorOf("storage:\n  auto_migrate: maybe\n"),
            "test.yaml:2:17: storage.auto_migrate must be true or false");
  EXPECT_EQ(ErrorOf("server:\n  listen: [a]\n"), "test.yaml:2:11: server.listen must be a string");
  EXPECT_EQ(ErrorOf("server:\n  listen: nohost\n"),
            "test.yaml:2:11: server.listen must be HOST:PORT (e.g. 0.0.0.0:4002), got 'nohost'");
  EXPECT_EQ(ErrorOf("storage:\n  url: mysql://x\n"),
            "test.yaml:2:8: storage.url must start with sqlite3:// or postgresql://");
  EXPECT_EQ(ErrorOf("server: 3\n"), "test.yaml:1:9: server must be a mapping");
}

TEST(ConfigTest, DurationsNeedAUnitAndARangeAndNameTheKey) {
  EXPECT_EQ(ErrorOf("server:\n  header_timeout: 10000\n"),
            "test.yaml:2:19: server.header_timeout must have a unit (ms, s, m, h), e.g. 10s or "
            "500ms; got the bare number '10000'");
  EXPECT_EQ(ErrorOf("storage:\n  acquire_timeout: 2sec\n"),
            "test.yaml:2:20: storage.acquire_timeout has an unknown unit 'sec' in '2sec' (units: "
            "ms, s, m, h)");
  EXPECT_EQ(ErrorOf("server:\n  keepalive_timeout: 500ms\n"),
            "test.yaml:2:22: server.keepalive_timeout must be between 1s and 1h, got 500ms");
  EXPECT_EQ(ErrorOf("server:\n  body_timeout: 11m\n"),
            "test.yaml:2:17: server.body_timeout must be between 100ms and 10m, got 11m");
  EXPECT_EQ(ErrorOf("storage:\n  acquire_timeout: 0s\n"),
            "test.yaml:2:20: storage.acquire_timeout must be between 1ms and 10m, got 0s");
  EXPECT_EQ(ErrorOf("server:\n  header_timeout: 1.5s\n"),
            "test.yaml:2:19: server.header_timeout must be a whole number of a unit, without a "
            "fraction (write 1500ms, not 1.5s); got '1.5s'");
  EXPECT_EQ(ErrorOf("server:\n  header_timeout: [10s]\n"),
            "test.yaml:2:19: server.header_timeout must be a duration with a unit, e.g. 10s or "
            "500ms");
  // The bounds themselves are inside the range.
  EXPECT_EQ(ParseConfig("server:\n  keepalive_timeout: 1h\n", "t.yaml").server.keepalive_timeout,
            std::chrono::hours(1));
  EXPECT_EQ(ParseConfig("server:\n  header_timeout: 100ms\n", "t.yaml").server.header_timeout,
            std::chrono::milliseconds(100));
}

TEST(ConfigTest, OldDurationKeysAreRefusedNamingTheNewKey) {
  EXPECT_EQ(ErrorOf("server:\n  header_timeout_ms: 500\n"),
            "test.yaml:2:3: server.header_timeout_ms is now header_timeout, a duration with a unit "
            "(did you mean 'header_timeout: 500ms'?)");
  EXPECT_EQ(ErrorOf("server:\n  body_timeout_ms: 30000\n"),
            "test.yaml:2:3: server.body_timeout_ms is now body_timeout, a duration with a unit "
            "(did you mean 'body_timeout: 30000ms'?)");
  EXPECT_EQ(ErrorOf("server:\n  threads: 2\n  keepalive_timeout_s: 60\n"),
            "test.yaml:3:3: server.keepalive_timeout_s is now keepalive_timeout, a duration with a "
            "unit (did you mean 'keepalive_timeout: 60s'?)");
  EXPECT_EQ(ErrorOf("storage:\n  acquire_timeout_ms: 2000\n"),
            "test.yaml:2:3: storage.acquire_timeout_ms is now acquire_timeout, a duration with a "
            "unit (did you mean 'acquire_timeout: 2000ms'?)");
  // A value that was not a number is not carried over.
  EXPECT_EQ(ErrorOf("storage:\n  acquire_timeout_ms: soon\n"),
            "test.yaml:2:3: storage.acquire_timeout_ms is now acquire_timeout, a duration with a "
            "unit (did you mean 'acquire_timeout'?)");
}

TEST(ConfigTest, ChainStepErrors) {
  EXPECT_EQ(ErrorOf("resolution:\n  chain:\n    - params: {}\n"),
            "test.yaml:3:7: a chain step needs exactly one of 'plugin' (a built-in name) or "
            "'path' (a file)");
  EXPECT_EQ(ErrorOf("resolution:\n  chain:\n    - plugin: env\n      on_error: explode\n"),
            "test.yaml:4:17: on_error must be 'continue' or 'fail', got 'explode'");
  EXPECT_EQ(ErrorOf("resolution:\n  chain: []\n"),
            "test.yaml:2:10: resolution.chain is empty: no device could ever get a broker");
  EXPECT_EQ(ErrorOf("resolution:\n  chain:\n    - plugin: env\n      params: 3\n"),
            "test.yaml:4:15: params must be a mapping");
}

TEST(ConfigTest, DuplicateKeysAreErrors) {
  EXPECT_EQ(ErrorOf("server:\n  threads: 2\n  threads: 3\n"),
            "test.yaml:3:3: duplicate key 'threads' in server");
  EXPECT_EQ(ErrorOf("resolution:\n  chain:\n    - plugin: env\n      params: { a: 1, a: 2 }\n"),
            "test.yaml:4:23: duplicate key 'a' in params");
}

TEST(ConfigTest, SyntaxErrorHasLocation) {
  const std::string error = ErrorOf("server:\n  listen: [unclosed\n");
  EXPECT_EQ(error.rfind("test.yaml:", 0), 0u) << error;
  EXPECT_NE(error.find(':', 10), std::string::npos);
}

TEST(ConfigTest, MissingFileIsClear) {
  try {
    LoadConfigFile("/nonexistent/switchboard.yaml");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/switchboard.yaml: cannot open configuration file");
  }
}

TEST(ConfigTest, ADirectoryIsNoConfigurationFile) {
  testing::TempDir dir;
  try {
    LoadConfigFile(dir.path());
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), dir.path() + ": is a directory, not a configuration file");
  }
}

TEST(ConfigTest, AnEmptyFileIsDefaultsOnlyWhereAllowed) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/empty.yaml";
  testing::WriteFile(path, "# all defaults\n");
  EXPECT_EQ(LoadConfigFile(path).server.listen, "0.0.0.0:4002");
  EXPECT_THROW(LoadConfigFile(path, /*allow_empty=*/false), ConfigError);
  testing::WriteFile(path, "server: {threads: 3}\n");
  EXPECT_EQ(LoadConfigFile(path, /*allow_empty=*/false).server.threads, 3);
}

TEST(ConfigTest, EnvironmentOverrides) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/c.yaml";
  testing::WriteFile(path, "server:\n  listen: 0.0.0.0:4002\n");
  setenv("SWITCHBOARD_DATABASE_URL", "sqlite3://db=/tmp/x.db", 1);
  setenv("SWITCHBOARD_LISTEN", "127.0.0.1:9999", 1);
  setenv("SWITCHBOARD_ADMIN_TOKEN", "token-from-env", 1);
  const Config config = LoadConfigFile(path);
  EXPECT_EQ(config.storage.url, "sqlite3://db=/tmp/x.db");
  EXPECT_EQ(config.server.listen, "127.0.0.1:9999");
  EXPECT_EQ(config.server.admin_token, "token-from-env");

  setenv("SWITCHBOARD_LISTEN", "nonsense", 1);
  EXPECT_THROW(LoadConfigFile(path), ConfigError);
  unsetenv("SWITCHBOARD_DATABASE_URL");
  unsetenv("SWITCHBOARD_LISTEN");
  unsetenv("SWITCHBOARD_ADMIN_TOKEN");
}

// `health:` (docs/configuration.md): the documented defaults, every key
// read, and each out-of-range value refused at its line and column.
TEST(ConfigTest, HealthDefaults) {
  const HealthConfig health = ParseConfig("", "empty.yaml").health;
  EXPECT_TRUE(health.enabled);
  EXPECT_EQ(health.interval, std::chrono::seconds(15));
  EXPECT_EQ(health.timeout, std::chrono::seconds(5));
  EXPECT_EQ(health.unhealthy_threshold, 3);
  EXPECT_EQ(health.healthy_threshold, 2);
  EXPECT_EQ(health.jitter_percent, 10);
  EXPECT_EQ(health.concurrency, 4);
  // configs/switchboard.yaml shows the defaults.
  const std::string path = std::string(SWITCHBOARD_SOURCE_DIR) + "/configs/switchboard.yaml";
  const HealthConfig shipped = ParseConfig(testing::ReadFile(path), path).health;
  EXPECT_EQ(shipped.enabled, health.enabled);
  EXPECT_EQ(shipped.interval, health.interval);
  EXPECT_EQ(shipped.timeout, health.timeout);
  EXPECT_EQ(shipped.unhealthy_threshold, health.unhealthy_threshold);
  EXPECT_EQ(shipped.healthy_threshold, health.healthy_threshold);
  EXPECT_EQ(shipped.jitter_percent, health.jitter_percent);
  EXPECT_EQ(shipped.concurrency, health.concurrency);
}

TEST(ConfigTest, HealthReadsEveryKey) {
  const HealthConfig health = ParseConfig(R"(
health:
  enabled: false
  interval: 200ms
  timeout: 150ms
  unhealthy_threshold: 1
  healthy_threshold: 5
  jitter: 0%
  concurrency: 16
)",
                                          "h.yaml")
                                  .health;
  EXPECT_FALSE(health.enabled);
  EXPECT_EQ(health.interval, std::chrono::milliseconds(200));
  EXPECT_EQ(health.timeout, std::chrono::milliseconds(150));
  EXPECT_EQ(health.unhealthy_threshold, 1);
  EXPECT_EQ(health.healthy_threshold, 5);
  EXPECT_EQ(health.jitter_percent, 0);
  EXPECT_EQ(health.concurrency, 16);
}

TEST(ConfigTest, HealthValuesOutOfRangeNameTheirPlace) {
  EXPECT_EQ(ErrorOf("health:\n  interval: 0s\n"),
            "test.yaml:2:13: health.interval must be between 100ms and 24h, got 0s");
  EXPECT_EQ(ErrorOf("health:\n  interval: -5s\n").rfind("test.yaml:2:13: health.interval", 0), 0u);
  EXPECT_EQ(ErrorOf("health:\n  interval: 15\n").rfind("test.yaml:2:13: health.interval", 0), 0u);
  EXPECT_EQ(ErrorOf("health:\n  unhealthy_threshold: 0\n"),
            "test.yaml:2:24: health.unhealthy_threshold must be between 1 and 100, got 0");
  EXPECT_EQ(ErrorOf("health:\n  healthy_threshold: -1\n"),
            "test.yaml:2:22: health.healthy_threshold must be between 1 and 100, got -1");
  EXPECT_EQ(ErrorOf("health:\n  concurrency: 0\n"),
            "test.yaml:2:16: health.concurrency must be between 1 and 64, got 0");
  EXPECT_EQ(ErrorOf("health:\n  jitter: 10\n"),
            "test.yaml:2:11: health.jitter must be a whole percentage such as 10%, got '10'");
  EXPECT_EQ(ErrorOf("health:\n  jitter: 60%\n"),
            "test.yaml:2:11: health.jitter must be between 0% and 50%, got 60%");
  EXPECT_EQ(ErrorOf("health:\n  enabled: maybe\n"),
            "test.yaml:2:12: health.enabled must be true or false");
  EXPECT_NE(ErrorOf("health:\n  intervall: 15s\n").find("did you mean 'interval'"),
            std::string::npos);
}

TEST(ConfigTest, HealthTimeoutMustBeShorterThanInterval) {
  EXPECT_EQ(ErrorOf("health:\n  interval: 5s\n  timeout: 5s\n"),
            "test.yaml:3:12: health.timeout (5s) must be shorter than health.interval (5s)");
  // Only the interval written: the message points at it.
  EXPECT_EQ(ErrorOf("health:\n  interval: 2s\n"),
            "test.yaml:2:13: health.timeout (5s) must be shorter than health.interval (2s)");
}

}  // namespace
}  // namespace switchboard
