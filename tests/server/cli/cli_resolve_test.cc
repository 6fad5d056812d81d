// `switchboard check-config` and `switchboard resolve`, run as the real
// binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "missing_tool.h"
#include "process.h"
#include "test_database.h"

namespace switchboard {
namespace {

using ::testing::HasSubstr;
using testing::RunCommand;
using testing::ShellQuote;
using testing::SwitchboardBinary;

class CliResolveTest : public ::testing::Test {
 protected:
  testing::CommandResult Run(const std::string& args, const std::string& env = "") {
    return RunCommand("cd " + ShellQuote(dir_.path()) + " && env -u MQTT_BROKER_URL " + env + " " +
                      ShellQuote(SwitchboardBinary()) + " " + args);
  }
  void WriteConfig(const std::string& storage_url, const std::string& chain) {
    testing::WriteFile(dir_.path() + "/c.yaml",
                       "storage:\n  url: \"" + storage_url + "\"\nresolution:\n  chain:\n" + chain);
  }
  testing::TempDir dir_;
};

TEST_F(CliResolveTest, CheckConfigPrintsTheChain) {
  WriteConfig("sqlite3://db=x.db",
              "    - plugin: device\n    - plugin: env\n      on_error: fail\n");
  const auto r = Run("check-config --config c.yaml");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("c.yaml: OK"));
  EXPECT_THAT(r.output,
              ::testing::ContainsRegex("1\\. device +on_error: continue +/.*/libdevice.so"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("2\\. env +on_error: fail +/.*/libenv.so"));
}

TEST_F(CliResolveTest, CheckConfigFailsWithOneLocatedLinePerProblem) {
  WriteConfig("sqlite3://db=x.db",
              "    - plugin: nosuch\n    - plugin: env\n      params: {varible: X}\n");
  const auto r = Run("check-config --config c.yaml");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("c.yaml:5:7: plugin/nosuch: plugin 'nosuch' not found"));
  EXPECT_THAT(r.output, HasSubstr("c.yaml:7:16: plugin/env: unknown key 'varible' (did you mean "
                                  "'variable'?)"));
  EXPECT_EQ(Run("check-config --bogus").exit_code, 2);
}

TEST_F(CliResolveTest, ResolvePrintsTheExplainJson) {
  WriteConfig("sqlite3://db=sb.db timeout=5",
              "    - plugin: device\n    - plugin: default\n    - plugin: env\n");
  ASSERT_EQ(Run("migrate --config c.yaml").exit_code, 0);
  if (!testing::ToolOnPath("sqlite3")) SWITCHBOARD_MISSING_TOOL("sqlite3 is not installed");
  const auto seed = RunCommand(
      "cd " + ShellQuote(dir_.path()) +
      " && sqlite3 sb.db \"INSERT INTO mqtt_broker_config (name, protocol, host, port, is_default, "
      "password) VALUES ('main', 'mqtts', 'main.example', 8883, 1, 'hunter2'); INSERT INTO devices "
      "(uuid, device_name, device_type, api_key_hash) VALUES ('u1', 'n', 't', 'h');\"");
  ASSERT_EQ(seed.exit_code, 0) << seed.output;

  auto r = Run("resolve --config c.yaml --device u1 --explain");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("{\"broker\":\"mqtts://main.example:8883\",\"brokerConfig\":{"));
  EXPECT_THAT(r.output, HasSubstr("\"resolvedBy\":\"default\""));
  EXPECT_THAT(r.output, HasSubstr("\"trace\":[{\"plugin\":\"device\",\"outcome\":\"pass\","
                                  "\"reason\":\"device has no broker assigned\",\"micros\":"));
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("hunter2")));

  r = Run("resolve --config c.yaml --device u1");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("\"trace\"")));

  r = Run("resolve --config c.yaml --device nobody");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("no device with uuid 'nobody'"));

  RunCommand("cd " + ShellQuote(dir_.path()) +
             " && sqlite3 sb.db \"UPDATE mqtt_broker_config SET is_default = 0\"");
  r = Run("resolve --config c.yaml --device u1 --explain");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.output, HasSubstr("\"broker\":null"));
  EXPECT_THAT(r.output, HasSubstr("\"decision\":\"no_broker\""));

  EXPECT_EQ(Run("resolve --config c.yaml").exit_code, 2);  // --device is required
}

TEST_F(CliResolveTest, ResolveWithStorageDownStillAnswersFromEnv) {
  WriteConfig("postgresql://host=127.0.0.1 port=1 dbname=x user=x connect_timeout=1",
              "    - plugin: device\n    - plugin: default\n    - plugin: env\n");
  const auto r = Run("resolve --config c.yaml --device u1 --explain",
                     "MQTT_BROKER_URL=mqtt://fallback.example");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"broker\":\"mqtt://fallback.example:1883\""));
  EXPECT_THAT(r.output, HasSubstr("\"plugin\":\"device\",\"outcome\":\"error\""));
  EXPECT_THAT(r.output, HasSubstr("\"plugin\":\"default\",\"outcome\":\"error\""));
  EXPECT_THAT(r.output, HasSubstr("\"resolvedBy\":\"env\""));
}

}  // namespace
}  // namespace switchboard
