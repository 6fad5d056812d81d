// `switchboard keys create` as an operator uses it: the real binary, a real
// config file, both backends; the key it prints registers a device.
#include <gtest/gtest.h>

#include "api_test_support.h"
#include "process.h"
#include "util/crypto.h"

namespace switchboard {
namespace {

using testing::CommandResult;
using testing::Json;
using testing::ReadFile;
using testing::RunCommand;
using testing::ShellQuote;
using testing::SwitchboardBinary;

// stdout and stderr apart: RunCommand interleaves them, so the command's
// stderr goes to a file first.
struct Split {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Lines of `err`, not counting libpq's NOTICE lines (on PostgreSQL the
// migrations runner's CREATE TABLE IF NOT EXISTS prints one).
int MessageLines(const std::string& err) {
  int lines = 0;
  std::size_t start = 0;
  while (start < err.size()) {
    const std::size_t end = err.find('\n', start);
    const std::string line = err.substr(start, end == std::string::npos ? end : end - start);
    if (line.rfind("NOTICE:", 0) != 0) ++lines;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

class KeysCliTest : public testing::DatabaseTest {
 protected:
  // An unmigrated database: `keys create` migrates (auto_migrate default).
  KeysCliTest() { migrate_ = false; }
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    config_ = dir_.path() + "/switchboard.yaml";
    testing::WriteFile(config_, "storage:\n  url: \"" + url() + "\"\n");
  }
  Split Keys(const std::string& args) {
    const std::string err = dir_.path() + "/stderr";
    const CommandResult r =
        RunCommand("(" + SwitchboardBinary() + " keys " + args + " 2>" + ShellQuote(err) + ")");
    return {r.exit_code, r.output, ReadFile(err)};
  }
  testing::TempDir dir_;
  std::string config_;
};

TEST_P(KeysCliTest, CreatePrintsOnlyTheKeyOnStdout) {
  const Split r = Keys(
      "create --fleet f1 --max-devices 5 --expires-in-days 7 "
      "--description 'first batch' --config " +
      ShellQuote(config_));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.out.size(), 44u) << r.out;  // 43 characters and a newline
  EXPECT_EQ(r.out.back(), '\n');
  const std::string key = r.out.substr(0, 43);
  EXPECT_EQ(
      key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos)
      << key;
  EXPECT_NE(r.err.find("created provisioning key 1 for fleet 'f1' (new fleet)"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("max devices: 5"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("expires: 20"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(key), std::string::npos) << r.err;

  // The key registers a device with a server on the same database, and the
  // API lists it without the key or its hash.
  auto server = testing::SwitchboardProcess::Start(testing::ServeOptions(url()));
  testing::CreateDefaultBroker(*server);
  EXPECT_EQ(testing::Register(*server, key, testing::TestUuid(1)).status, 200);
  const auto listed = server->Admin("GET", "/api/v1/provisioning-keys?fleetId=f1");
  auto list = Json(listed);
  ASSERT_EQ(list["keys"].Size(), 1u);
  EXPECT_EQ(testing::String(list["keys"][0], "description"), "first batch");
  EXPECT_EQ(testing::Int(list["keys"][0], "maxDevices"), 5);
  EXPECT_EQ(testing::Int(list["keys"][0], "devicesProvisioned"), 1);
  EXPECT_EQ(listed.body.find(key), std::string::npos);
  EXPECT_EQ(listed.body.find(Sha256Hex(key)), std::string::npos);

  // A second key for the same fleet: unlimited, never expires.
  const Split second = Keys("create --fleet=f1 --config " + ShellQuote(config_));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.substr(0, 43), key);
  EXPECT_NE(second.err.find("for fleet 'f1';"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("max devices: unlimited; expires: never"), std::string::npos)
      << second.err;
}

TEST_P(KeysCliTest, ShellCaptureGivesJustTheKey) {
  const CommandResult r =
      RunCommand("KEY=$(" + SwitchboardBinary() + " keys create --fleet f1 --config " +
                 ShellQuote(config_) + " 2>/dev/null) && printf '[%s]' \"$KEY\"");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_EQ(r.output.size(), 45u) << r.output;
  EXPECT_EQ(r.output.front(), '[');
  EXPECT_EQ(r.output.back(), ']');
}

TEST_P(KeysCliTest, UsageErrorsExitTwo) {
  const std::string config = " --config " + ShellQuote(config_);
  for (const std::string& args :
       {std::string("create") + config, "create --fleet" + config, "--fleet f1" + config,
        "list --fleet f1" + config, "create extra --fleet f1" + config,
        "create --fleet f1 --max-devices abc" + config,
        "create --fleet f1 --max-devices 0" + config,
        "create --fleet f1 --expires-in-days 99999" + config, "create --fleet 'bad fleet'" + config,
        "create --fleet f1 --colour red" + config}) {
    SCOPED_TRACE(args);
    const Split r = Keys(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("switchboard keys: "), std::string::npos) << r.err;
    EXPECT_EQ(MessageLines(r.err), 1) << r.err;
  }
  // Checked before the database is touched, or by the domain, named as options.
  const Split zero = Keys("create --fleet f1 --max-devices 0" + config);
  EXPECT_NE(zero.err.find("--max-devices must be at least 1"), std::string::npos) << zero.err;
  const Split range = Keys("create --fleet f1 --max-devices 3000000000" + config);
  EXPECT_EQ(range.exit_code, 2);
  EXPECT_NE(range.err.find("--max-devices must be between 1 and"), std::string::npos) << range.err;
}

TEST_P(KeysCliTest, FailuresExitOneWithOneLine) {
  const Split missing = Keys("create --fleet f1 --config /nonexistent/switchboard.yaml");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.out, "");
  EXPECT_NE(missing.err.find("/nonexistent/switchboard.yaml"), std::string::npos) << missing.err;
  EXPECT_EQ(MessageLines(missing.err), 1) << missing.err;
}

TEST_P(KeysCliTest, HelpDescribesTheCommand) {
  const Split r = Keys("--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* word : {"keys create --fleet F", "--max-devices", "--expires-in-days",
                           "--description", "--config", "KEY=$("}) {
    EXPECT_NE(r.out.find(word), std::string::npos) << word << " in\n" << r.out;
  }
  EXPECT_EQ(Keys("create --help").exit_code, 0);
}

SWITCHBOARD_BOTH_BACKENDS(KeysCliTest);

}  // namespace
}  // namespace switchboard
