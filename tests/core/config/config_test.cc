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

TEST(ConfigTest, UnknownKeyNamesLocationAndSuggestion) {
  EXPECT_EQ(ErrorOf("server:\n  threads: 2\n  listne: 0.0.0.0:1\n"),
            "test.yaml:3:3: unknown key 'listne' in server (did you mean 'listen'?); known keys: "
            "listen, threads, max_body_bytes, admin_token_file, header_timeout, "
            "body_timeout, keepalive_timeout, admin_panel_dir, log_format, tls");
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

}  // namespace
}  // namespace switchboard
