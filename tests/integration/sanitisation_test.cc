// Broker secrets (username, password, client_key, extra_config) and the
// credentials a request carries never reach a response or the server's log,
// on both backends.
#include <gtest/gtest.h>
#include <signal.h>

#include "device_api_test_support.h"

namespace switchboard {
namespace {

using testing::DeviceApiTest;
using testing::HttpResponse;
using testing::NewUuid;
using testing::OneShot;
using testing::ParseJson;
using testing::Register;
using testing::RegistrationBody;
using testing::ServeOptions;
using testing::SwitchboardProcess;

// Distinctive, so a match anywhere is a leak and nothing else.
constexpr const char* kSecrets[] = {"SECRET-USER-7f3a", "SECRET-PASSWORD-7f3a",
                                    "SECRET-CLIENT-KEY-7f3a", "SECRET-EXTRA-7f3a",
                                    "ENV-SECRET-PW-7f3a"};
constexpr char kApiKey[] = "SECRET-DEVICE-API-KEY-7f3a";

class SanitisationTest : public DeviceApiTest {
 protected:
  long long AddSecretBroker(const std::string& name, bool is_default) {
    return AddBroker(name, {{"is_default", is_default ? "1" : "0"},
                            {"username", "'SECRET-USER-7f3a'"},
                            {"password", "'SECRET-PASSWORD-7f3a'"},
                            {"client_key",
                             "'-----BEGIN PRIVATE KEY-----\nSECRET-CLIENT-KEY-7f3a\n-----END "
                             "PRIVATE KEY-----\n'"},
                            {"extra_config", "'{\"token\":\"SECRET-EXTRA-7f3a\"}'"},
                            {"ca_cert",
                             "'-----BEGIN CERTIFICATE-----\nCA\n-----END "
                             "CERTIFICATE-----\n'"},
                            {"use_tls", "1"},
                            {"protocol", "'mqtts'"},
                            {"port", "8883"}});
  }

  static void ExpectClean(const std::string& where, const std::string& text,
                          const std::vector<std::string>& also) {
    for (const char* secret : kSecrets) {
      EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in " << where << ":\n" << text;
    }
    for (const std::string& secret : also) {
      EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in " << where;
    }
  }

  // Every request that might leak, then every response and the whole log
  // checked; `server_yaml` picks the log format.
  void ExpectNoLeak(const std::string& server_yaml);
};

void SanitisationTest::ExpectNoLeak(const std::string& server_yaml) {
  const long long assigned = AddSecretBroker("assigned", false);
  AddSecretBroker("fallback-default", true);
  const std::string key = AddKey("fleet-a");
  auto options = ServeOptions(url());
  options.server_yaml = server_yaml;
  options.environment["MQTT_BROKER_URL"] = "mqtt://envuser:ENV-SECRET-PW-7f3a@env.example.com:1883";
  auto server = SwitchboardProcess::Start(options);
  std::vector<std::pair<std::string, std::string>> responses;  // where, body + headers
  auto keep = [&responses](const std::string& where, const HttpResponse& r) {
    std::string all = r.body;
    for (const auto& [name, value] : r.headers) all += "\n" + name + ": " + value;
    responses.emplace_back(where, all);
    return r;
  };

  // Default broker at registration; then the device's own assigned broker.
  const std::string uuid = NewUuid();
  const HttpResponse registered =
      keep("registration", Register(server->port(), key, RegistrationBody(uuid, "s", kApiKey)));
  ASSERT_EQ(registered.status, 200) << registered.body;
  const std::string mqtt_password = ParseJson(registered.body)["mqtt"]["password"].GetString();
  const testing::Headers device = {{"X-Device-API-Key", kApiKey}};
  const std::string mqtt_path = "/api/v1/device/" + uuid + "/mqtt";
  const std::string explain_path = "/api/v1/devices/" + uuid + "/resolution";
  EXPECT_EQ(keep("mqtt default", OneShot(server->port(), "GET", mqtt_path, device)).status, 200);
  EXPECT_EQ(keep("explain default", server->Admin("GET", explain_path)).status, 200);
  Exec("UPDATE devices SET mqtt_broker_id = " + std::to_string(assigned));
  EXPECT_EQ(keep("mqtt assigned", OneShot(server->port(), "GET", mqtt_path, device)).status, 200);
  EXPECT_EQ(keep("explain assigned", server->Admin("GET", explain_path)).status, 200);
  // Retry (re-issued password) with the assigned broker.
  EXPECT_EQ(
      keep("retry", Register(server->port(), key, RegistrationBody(uuid, "s", kApiKey))).status,
      200);
  // No stored broker: env resolves from a URL with credentials.
  Exec("UPDATE mqtt_broker_config SET is_active = 0");
  const HttpResponse env = keep("mqtt env", OneShot(server->port(), "GET", mqtt_path, device));
  EXPECT_EQ(env.status, 200);
  EXPECT_STREQ(ParseJson(env.body)["broker"].GetString(), "mqtt://env.example.com:1883");
  keep("explain env", server->Admin("GET", explain_path));
  keep("register env", Register(server->port(), key, RegistrationBody(NewUuid())));
  // Failures that log: wrong keys, conflict, chain reload, metrics.
  keep("wrong device key", OneShot(server->port(), "GET", mqtt_path,
                                   {{"X-Device-API-Key", kApiKey + std::string("x")}}));
  keep("conflict",
       Register(server->port(), key, RegistrationBody(uuid, "s", "another-api-key-123")));
  keep("wrong provisioning key", Register(server->port(), key + "x", RegistrationBody(NewUuid())));
  keep("reload", server->Admin("POST", "/api/v1/admin/reload"));
  keep("chain", server->Admin("GET", "/api/v1/admin/chain"));
  keep("metrics", OneShot(server->port(), "GET", "/metrics"));
  EXPECT_EQ(server->Stop(SIGTERM), 0);

  // Request credentials must not be echoed or logged either.
  const std::vector<std::string> credentials = {kApiKey, key, testing::kTestAdminToken};
  for (const auto& [where, text] : responses) {
    std::vector<std::string> also = credentials;
    // The registration responses carry this device's own MQTT password once.
    if (where != "registration") also.push_back(mqtt_password);
    ExpectClean(where, text, also);
  }
  std::vector<std::string> in_log = credentials;
  in_log.push_back(mqtt_password);
  const std::string log = server->Log();
  ExpectClean("the server log", log, in_log);
  EXPECT_FALSE(log.empty());
  // The request lines were written, so the check above covered them.
  EXPECT_NE(log.find("/api/v1/devices/:uuid/resolution"), std::string::npos) << log;
}

TEST_P(SanitisationTest, BrokerSecretsAppearInNoResponseAndNoLogLine) { ExpectNoLeak(""); }

TEST_P(SanitisationTest, BrokerSecretsAppearInNoResponseAndNoJsonLogLine) {
  ExpectNoLeak("  log_format: json\n");
}

SWITCHBOARD_BOTH_BACKENDS(SanitisationTest);

}  // namespace
}  // namespace switchboard
