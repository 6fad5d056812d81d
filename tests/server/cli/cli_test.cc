// The command line as an operator uses it: the real binary, real files.
#include <gtest/gtest.h>

#include "process.h"
#include "test_database.h"

namespace switchboard {
namespace {

using testing::RunCommand;
using testing::ShellQuote;
using testing::SwitchboardBinary;

std::string Switchboard(const std::string& args) { return SwitchboardBinary() + " " + args; }

TEST(CliTest, HelpListsCommands) {
  const auto result = RunCommand(Switchboard("--help"));
  EXPECT_EQ(result.exit_code, 0);
  for (const char* command : {"serve", "migrate", "check-config", "resolve", "keys", "export"}) {
    EXPECT_NE(result.output.find(command), std::string::npos) << command;
  }
}

TEST(CliTest, EveryCommandHasHelp) {
  for (const char* command : {"serve", "migrate"}) {
    const auto result = RunCommand(Switchboard(std::string(command) + " --help"));
    EXPECT_EQ(result.exit_code, 0) << command << ": " << result.output;
    EXPECT_NE(result.output.find("--config"), std::string::npos) << command;
  }
}

TEST(CliTest, UnknownCommandAndOptionAreUsageErrors) {
  EXPECT_EQ(RunCommand(Switchboard("frobnicate")).exit_code, 2);
  const auto result = RunCommand(Switchboard("migrate --confg x.yaml"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("unknown option --confg"), std::string::npos) << result.output;
}

class CliDatabaseTest : public testing::DatabaseTest {
 protected:
  CliDatabaseTest() { migrate_ = false; }
};

TEST_P(CliDatabaseTest, MigrateAppliesOnceThenNothing) {
  testing::TempDir dir;
  const std::string config = dir.path() + "/c.yaml";
  testing::WriteFile(config, "storage:\n  url: \"" + url() + "\"\n");
  const auto first = RunCommand(Switchboard("migrate --config " + ShellQuote(config)));
  EXPECT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("applied 001_initial.sql"), std::string::npos) << first.output;
  const auto second = RunCommand(Switchboard("migrate --config " + ShellQuote(config)));
  EXPECT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("is up to date"), std::string::npos) << second.output;
  EXPECT_EQ(second.output.find("applied"), std::string::npos) << second.output;
}

TEST_P(CliDatabaseTest, DatabaseUrlFromEnvironmentWins) {
  testing::TempDir dir;
  const std::string config = dir.path() + "/c.yaml";
  testing::WriteFile(config, "storage:\n  url: \"sqlite3://db=/nonexistent/dir/x.db\"\n");
  const auto result = RunCommand("SWITCHBOARD_DATABASE_URL=" + ShellQuote(url()) + " " +
                                 Switchboard("migrate --config " + ShellQuote(config)));
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

SWITCHBOARD_BOTH_BACKENDS(CliDatabaseTest);

TEST(CliTest, BadConfigExitsWithLocation) {
  testing::TempDir dir;
  const std::string config = dir.path() + "/bad.yaml";
  testing::WriteFile(config, "storage:\n  pool_size: lots\n");
  const auto result = RunCommand(Switchboard("migrate --config " + ShellQuote(config)));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find(config + ":2:14: storage.pool_size must be an integer"),
            std::string::npos)
      << result.output;
}

TEST(CliTest, MissingConfigFileIsClear) {
  const auto result = RunCommand(Switchboard("migrate --config /nonexistent.yaml"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("/nonexistent.yaml: cannot open configuration file"),
            std::string::npos)
      << result.output;
}

TEST(CliTest, UnreachableDatabaseFailsMigrateWithoutLeakingPassword) {
  testing::TempDir dir;
  const std::string config = dir.path() + "/c.yaml";
  testing::WriteFile(config,
                     "storage:\n  url: \"postgresql://host=127.0.0.1 port=1 dbname=x user=u "
                     "password=hunter2 connect_timeout=2\"\n");
  const auto result = RunCommand(Switchboard("migrate --config " + ShellQuote(config)));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("unreachable"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("hunter2"), std::string::npos) << result.output;
}

TEST(CliTest, ADirectoryAsConfigIsRefusedByEveryCommand) {
  testing::TempDir dir;
  for (const char* command : {"check-config", "serve", "migrate"}) {
    const auto result =
        RunCommand(Switchboard(std::string(command) + " --config " + ShellQuote(dir.path())));
    EXPECT_EQ(result.exit_code, 1) << command << ": " << result.output;
    EXPECT_NE(result.output.find(dir.path() + ": is a directory, not a configuration file"),
              std::string::npos)
        << command << ": " << result.output;
  }
}

// Every form of password libpq accepts stays out of what the commands print
// (the message of an unreachable database, and explain trace reasons).
TEST(CliTest, NoFormOfTheDatabasePasswordLeaks) {
  testing::TempDir dir;
  const std::string config = dir.path() + "/c.yaml";
  testing::WriteFile(config, std::string("resolution:\n  plugin_dirs: [\"") +
                                 SWITCHBOARD_PLUGIN_DIR + "\"]\n  chain:\n    - plugin: device\n");
  for (const std::string url :
       {"postgresql://host=127.0.0.1 port=1 dbname=x user=u password = hunter2 "
        "connect_timeout=2",
        "postgresql://host=127.0.0.1 port=1 dbname=x password='hunter2 hunter3' "
        "connect_timeout=2",
        "postgresql://postgresql://u:hunter2@127.0.0.1:1/x?connect_timeout=2",
        "postgresql://postgresql://u@127.0.0.1:1/x?connect_timeout=2&password=hunter2"}) {
    for (const std::string command :
         {"migrate", "resolve --explain --device 3f2b8c1e-9a4d-4e6b-8f0a-1c2d3e4f5a6b"}) {
      const auto result = RunCommand("SWITCHBOARD_DATABASE_URL=" + ShellQuote(url) + " " +
                                     Switchboard(command + " --config " + ShellQuote(config)));
      EXPECT_NE(result.exit_code, 0) << url << ": " << result.output;
      EXPECT_NE(result.output.find("unreachable"), std::string::npos)
          << url << " " << command << ": " << result.output;
      EXPECT_EQ(result.output.find("hunter"), std::string::npos)
          << url << " " << command << ": " << result.output;
    }
  }
}

}  // namespace
}  // namespace switchboard
