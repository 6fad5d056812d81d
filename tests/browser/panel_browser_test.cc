// The admin panel in a real browser: this test starts what the panel needs
// (a Mosquitto broker with TLS and a password file, `switchboard serve` on
// the backend under test) and runs panel.test.mjs, which drives Debian's
// Chromium with playwright-core through the operator flows. Its output is
// this test's output; its screenshots go to
// build/test-output/browser/<backend>/. The last two steps take storage
// away (SQLite: the server's file-size limit at 0, so no write succeeds;
// PostgreSQL: the test's own database refuses connections and the server's
// are ended), then the server itself; the panel must show a banner each
// time, not a blank page.
//
// Needs node, /usr/bin/chromium and tests/browser/node_modules (all from
// scripts/setup). Without them the test is skipped, or fails when CI=true.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>
#include <regex>

#include "missing_tool.h"
#include "mosquitto_fixture.h"
#include "process.h"
#include "switchboard_process.h"
#include "util/crypto.h"

namespace switchboard {
namespace {

namespace fs = std::filesystem;
using testing::RunCommand;
using testing::ShellQuote;

constexpr char kBrowserDir[] = SWITCHBOARD_BROWSER_TEST_DIR;
constexpr char kOutputDir[] = SWITCHBOARD_BROWSER_OUTPUT_DIR;
constexpr char kChromium[] = "/usr/bin/chromium";
// The broker's server-side credentials, as the panel's user types them.
constexpr char kMqttUser[] = "svc";
constexpr char kMqttPassword[] = "svc-password-7Hq2";

// Why the browser test cannot run here, or "" when it can.
std::string MissingTool() {
  const auto node = RunCommand("node -p 'process.versions.node.split(\".\")[0]'");
  if (node.exit_code != 0) return "node is not installed";
  if (std::atoi(node.output.c_str()) < 20)
    return "node is older than 20 (playwright-core needs 20)";
  if (access(kChromium, X_OK) != 0) return std::string(kChromium) + " is not installed";
  if (!fs::exists(std::string(kBrowserDir) + "/node_modules/playwright-core/package.json")) {
    return "playwright-core is not installed (npm ci in tests/browser)";
  }
  if (!testing::MosquittoAvailable()) return "mosquitto is not installed";
  // The storage-fault step: prlimit (util-linux) on SQLite, psql on PostgreSQL.
  if (RunCommand("command -v prlimit && command -v psql").exit_code != 0)
    return "prlimit or psql is missing";
  return "";
}

// PostgreSQL: a database of the test's own on the shared cluster (not the
// scratch schema other tests' databases sit beside), so the storage-fault
// step can cut the server off from it without touching anyone else. Dropped
// on destruction.
class OwnPostgresDatabase {
 public:
  OwnPostgresDatabase() {
    const char* url = std::getenv("SWITCHBOARD_TEST_POSTGRES_URL");
    if (url == nullptr) throw std::runtime_error("SWITCHBOARD_TEST_POSTGRES_URL is not set");
    std::string conninfo = url;
    if (conninfo.rfind("postgresql://", 0) == 0) conninfo.erase(0, std::strlen("postgresql://"));
    std::random_device random;
    name_ = "sb_browser_" + std::to_string(random()) + std::to_string(random());
    admin_ = std::regex_replace(conninfo, std::regex(R"(dbname=\S+)"), "dbname=postgres");
    url_ = "postgresql://" +
           std::regex_replace(conninfo, std::regex(R"(dbname=\S+)"), "dbname=" + name_);
    const auto created = Psql("CREATE DATABASE " + name_);
    if (created.exit_code != 0) throw std::runtime_error("CREATE DATABASE: " + created.output);
  }
  ~OwnPostgresDatabase() { Psql("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)"); }

  const std::string& url() const { return url_; }
  const std::string& admin() const { return admin_; }
  const std::string& name() const { return name_; }

 private:
  testing::CommandResult Psql(const std::string& sql) const {
    return RunCommand("psql -X -q -v ON_ERROR_STOP=1 -d " + ShellQuote(admin_) + " -c " +
                      ShellQuote(sql) + " 2>&1");
  }
  std::string name_, admin_, url_;
};

class AdminPanelBrowserTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const std::string missing = MissingTool();
    if (!missing.empty()) SWITCHBOARD_MISSING_TOOL(missing + " (scripts/setup installs it)");
  }
};

TEST_P(AdminPanelBrowserTest, OperatorFlowsInChromium) {
  testing::TempDir dir;
  const testing::TestPki pki = testing::TestPki::Generate(dir.path() + "/pki");
  const std::string password_file = dir.path() + "/mosquitto/passwd";
  fs::create_directories(dir.path() + "/mosquitto");
  testing::WriteFile(password_file,
                     std::string(kMqttUser) + ":" + MosquittoPasswordHash(kMqttPassword) + "\n");
  testing::WriteFile(dir.path() + "/mosquitto/acl",
                     std::string("user ") + kMqttUser + "\ntopic readwrite #\n");
  testing::MosquittoBroker mosquitto(pki, password_file, dir.path() + "/mosquitto/acl");
  mosquitto.Start();

  std::unique_ptr<OwnPostgresDatabase> own;
  if (backend() == "postgresql") own = std::make_unique<OwnPostgresDatabase>();
  auto server = testing::SwitchboardProcess::Start(testing::ServeOptions(own ? own->url() : url()));

  // A CA bundle of two certificates: the one that signed Mosquitto's, and
  // an unrelated one (as during a rotation).
  const std::string bundle = dir.path() + "/ca-bundle.pem";
  testing::WriteFile(bundle, testing::ReadFile(pki.ca_cert) + testing::ReadFile(pki.other_ca_cert));

  const std::string output = std::string(kOutputDir) + "/" + backend();
  fs::create_directories(output);
  const std::string environment =
      "SB_URL=" + ShellQuote("http://127.0.0.1:" + std::to_string(server->port())) +
      " SB_ADMIN_TOKEN=" + ShellQuote(testing::kTestAdminToken) +
      " SB_CONFIG=" + ShellQuote(server->config_path()) +
      " SB_MQTT_TLS_PORT=" + std::to_string(mosquitto.tls_port()) +
      " SB_MQTT_PLAIN_PORT=" + std::to_string(mosquitto.plain_port()) +
      " SB_MQTT_USER=" + ShellQuote(kMqttUser) + " SB_MQTT_PASSWORD=" + ShellQuote(kMqttPassword) +
      " SB_CA_BUNDLE=" + ShellQuote(bundle) + " SB_CHROMIUM=" + ShellQuote(kChromium) +
      " SB_OUTPUT_DIR=" + ShellQuote(output) + " SB_SERVER_PID=" + std::to_string(server->pid()) +
      " SB_BACKEND=" + ShellQuote(backend()) +
      (own ? " SB_PG_ADMIN=" + ShellQuote(own->admin()) + " SB_PG_DATABASE=" + own->name() : "");
  const auto result = RunCommand("cd " + ShellQuote(kBrowserDir) + " && " + environment +
                                 " node --test-reporter=spec panel.test.mjs");
  EXPECT_EQ(result.exit_code, 0) << result.output << "\n--- switchboard log ---\n" << server->Log();
  // The broker's password went through the panel: it is in no log line.
  EXPECT_EQ(server->Log().find(kMqttPassword), std::string::npos);
  std::cout << result.output.substr(result.output.size() > 6000 ? result.output.size() - 6000 : 0)
            << std::endl;
}

SWITCHBOARD_BOTH_BACKENDS(AdminPanelBrowserTest);

}  // namespace
}  // namespace switchboard
