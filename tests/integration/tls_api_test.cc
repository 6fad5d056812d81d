// TLS for the API itself (`server.tls`, docs/configuration.md): a certificate made by
// `openssl` at test time, health and one registration over HTTPS with the
// certificate verified by curl, on both backends.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "device_api_test_support.h"
#include "process.h"

namespace switchboard {
namespace {

using testing::CommandResult;
using testing::DeviceApiTest;
using testing::NewUuid;
using testing::OneShot;
using testing::RegistrationBody;
using testing::RunCommand;
using testing::ServeOptions;
using testing::ShellQuote;
using testing::SwitchboardProcess;
using testing::TempDir;

class TlsApiTest : public DeviceApiTest {};

TEST_P(TlsApiTest, ServesHealthAndRegistrationOverHttps) {
  TempDir dir;
  const std::string cert = dir.path() + "/cert.pem";
  const std::string key_file = dir.path() + "/key.pem";
  const CommandResult made = RunCommand(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
      ShellQuote(key_file) + " -out " + ShellQuote(cert));
  ASSERT_EQ(made.exit_code, 0) << made.output;

  AddBroker("primary", {{"is_default", "1"}});
  const std::string key = AddKey("fleet-a");
  auto options = ServeOptions(url());
  options.server_yaml = "  tls: {cert: \"" + cert + "\", key: \"" + key_file + "\"}\n";
  options.wait_ready = false;  // the helper polls in plain HTTP
  auto server = SwitchboardProcess::Start(options);
  EXPECT_NE(server->Log().find("listening on https://"), std::string::npos) << server->Log();

  // curl verifies the chain against the generated certificate (no -k).
  const std::string base = "https://127.0.0.1:" + std::to_string(server->port());
  const std::string curl = "curl -sS --max-time 10 --cacert " + ShellQuote(cert) + " ";
  CommandResult health;
  for (int i = 0; i < 100; ++i) {  // until the server has its chain ready
    health = RunCommand(curl + "-w ' %{http_code}' " + base + "/readyz");
    if (health.exit_code == 0 && health.output.ends_with(" 200")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(health.output, R"({"status":"ready"} 200)");
  health = RunCommand(curl + base + "/healthz");
  EXPECT_EQ(health.exit_code, 0) << health.output;
  EXPECT_EQ(health.output, R"({"status":"ok"})");

  const std::string uuid = NewUuid();
  const CommandResult registered =
      RunCommand(curl + "-w ' %{http_code}' -H 'Content-Type: application/json' -H " +
                 ShellQuote("Authorization: Bearer " + key) + " --data " +
                 ShellQuote(RegistrationBody(uuid)) + " " + base + "/api/v1/device/register");
  EXPECT_EQ(registered.exit_code, 0) << registered.output;
  EXPECT_TRUE(registered.output.ends_with(" 200")) << registered.output;
  EXPECT_NE(registered.output.find("\"username\":\"device_" + uuid + "\""), std::string::npos)
      << registered.output;
  EXPECT_EQ(Count("devices", "uuid = '" + uuid + "'"), 1);

  // Plain HTTP on the TLS port is not served.
  bool plain_served = false;
  try {
    plain_served = OneShot(server->port(), "GET", "/healthz").status == 200;
  } catch (const std::exception&) {
  }
  EXPECT_FALSE(plain_served);
  EXPECT_EQ(server->Stop(SIGTERM), 0) << server->Log();
}

SWITCHBOARD_BOTH_BACKENDS(TlsApiTest);

}  // namespace
}  // namespace switchboard
