// `switchboard serve` as a process: starts, answers, reloads, stops cleanly.
#include <gtest/gtest.h>
#include <signal.h>

#include "switchboard_process.h"

namespace switchboard {
namespace {

using testing::OneShot;
using testing::SwitchboardProcess;

class ServeTest : public testing::DatabaseTest {};

TEST_P(ServeTest, StartsMigratesAnswersAndStopsOnSigterm) {
  auto server = SwitchboardProcess::Start(testing::ServeOptions(url()));
  EXPECT_EQ(OneShot(server->port(), "GET", "/healthz").body, R"({"status":"ok"})");
  EXPECT_EQ(OneShot(server->port(), "GET", "/readyz").status, 200);
  const auto chain = server->Admin("GET", "/api/v1/admin/chain");
  EXPECT_EQ(chain.status, 200);
  EXPECT_NE(chain.body.find("\"plugin\":\"device\""), std::string::npos) << chain.body;
  EXPECT_EQ(server->Stop(SIGTERM), 0) << server->Log();
}

TEST_P(ServeTest, SighupReloadsTheChain) {
  auto server = SwitchboardProcess::Start(testing::ServeOptions(url()));
  // Rewrite the chain in the config file, then SIGHUP.
  std::string yaml = testing::ReadFile(server->config_path());
  yaml = yaml.substr(0, yaml.find("resolution:")) + "resolution:\n  plugin_dirs: [\"" +
         SWITCHBOARD_PLUGIN_DIR + "\"]\n  chain:\n    - plugin: env\n";
  testing::WriteFile(server->config_path(), yaml);
  server->Signal(SIGHUP);
  std::string body;
  for (int i = 0; i < 100; ++i) {
    body = server->Admin("GET", "/api/v1/admin/chain").body;
    if (body.find("\"plugin\":\"device\"") == std::string::npos) break;
    usleep(50'000);
  }
  EXPECT_EQ(body.find("\"plugin\":\"device\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"plugin\":\"env\""), std::string::npos) << body;
}

TEST_P(ServeTest, ReloadWithBrokenFileKeepsOldChain) {
  auto server = SwitchboardProcess::Start(testing::ServeOptions(url()));
  // A chain under the generated `resolution:` (its plugin_dirs line).
  std::string yaml = testing::ReadFile(server->config_path());
  const std::size_t dirs = yaml.find("  plugin_dirs:");
  ASSERT_NE(dirs, std::string::npos) << yaml;
  yaml.insert(yaml.find('\n', dirs) + 1, "  chain:\n    - plugin: no_such_plugin_anywhere\n");
  testing::WriteFile(server->config_path(), yaml);
  const auto reload = server->Admin("POST", "/api/v1/admin/reload");
  EXPECT_EQ(reload.status, 400) << reload.body;
  EXPECT_NE(reload.body.find("no_such_plugin_anywhere"), std::string::npos) << reload.body;
  const auto chain = server->Admin("GET", "/api/v1/admin/chain");
  EXPECT_NE(chain.body.find("\"plugin\":\"device\""), std::string::npos) << chain.body;
}

// An emptied (e.g. truncated) config file used to reset the chain to the
// built-in defaults on reload; a directory passed as an empty config.
TEST_P(ServeTest, ReloadRefusesAnEmptyFileAndADirectory) {
  auto options = testing::ServeOptions(url());
  options.resolution_yaml =
      "resolution:\n  plugin_dirs: [\"" SWITCHBOARD_PLUGIN_DIR "\"]\n  chain:\n    - plugin: env\n";
  auto server = SwitchboardProcess::Start(options);
  testing::WriteFile(server->config_path(), "");
  const auto reload = server->Admin("POST", "/api/v1/admin/reload");
  EXPECT_EQ(reload.status, 400) << reload.body;
  EXPECT_NE(reload.body.find("the configuration file is empty"), std::string::npos) << reload.body;
  server->Signal(SIGHUP);
  const auto chain = server->Admin("GET", "/api/v1/admin/chain");
  EXPECT_EQ(chain.body.find("\"plugin\":\"device\""), std::string::npos) << chain.body;
  EXPECT_NE(chain.body.find("\"plugin\":\"env\""), std::string::npos) << chain.body;
  // SIGHUP's failure is logged.
  std::string log;
  for (int i = 0; i < 100; ++i) {
    log = server->Log();
    if (log.find("chain reload failed") != std::string::npos &&
        log.rfind("the configuration file is empty") != log.find("the configuration file is empty"))
      break;
    usleep(50'000);
  }
  EXPECT_NE(log.find("chain reload failed"), std::string::npos) << log;
}

TEST_P(ServeTest, BadChainFailsStartupWithLocation) {
  try {
    auto options = testing::ServeOptions(url());
    options.resolution_yaml = "resolution:\n  chain:\n    - plugin: no_such_plugin_anywhere\n";
    SwitchboardProcess::Start(options);
    FAIL() << "expected the server to refuse to start";
  } catch (const std::runtime_error& e) {
    // file:line:col; the line depends on how long the generated config is.
    const std::string what = e.what();
    const std::string located =
        ":7: plugin/no_such_plugin_anywhere: plugin 'no_such_plugin_anywhere' not found";
    EXPECT_NE(what.find("switchboard.yaml:"), std::string::npos) << what;
    EXPECT_NE(what.find(located), std::string::npos) << what;
  }
}

SWITCHBOARD_BOTH_BACKENDS(ServeTest);

}  // namespace
}  // namespace switchboard
