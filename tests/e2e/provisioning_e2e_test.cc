// Provisioning end to end, everything real: `switchboard serve` on a fresh
// database, brokers and a provisioning key created over the operator API, a
// device registered over HTTP, the `switchboard export mosquitto` binary, and
// a Mosquitto 2.0.11 with `allow_anonymous false` and a plain and a TLS
// listener. The device connects with libmosquitto using ONLY the fields of
// its registration response (broker URL / brokerConfig host and port, caCert
// written to a file, username, password, keepAlive, topics), certificate
// verification on. Then the operator moves it to the plain broker and it
// follows by re-fetching GET /api/v1/device/{uuid}/mqtt. Finally the broker
// test route probes a reachable TLS broker, a closed port and a wrong CA.
//
// The probe logs in with a static user appended to the exported password
// file, exactly as docs/mosquitto.md (section 4, the file export) tells operators to do.
//
// Runs on SQLite and PostgreSQL. The fixture stops and reaps Mosquitto and
// Switchboard after each test (Mosquitto also dies with the test process).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "device_agent.h"
#include "mosquitto_e2e_fixture.h"
#include "process.h"

namespace switchboard::testing {
namespace {

using std::chrono::milliseconds;

constexpr char kProbeUser[] = "switchboard-probe";
constexpr char kProbePassword[] = "probe-Secret-4be1d0c2a7f9";
// How long a message that must NOT arrive is still waited for after a later
// message on the same connection has arrived (which already proves the
// forbidden one was never queued: Mosquitto keeps per-client order).
constexpr milliseconds kQuiet(250);

// A registered device: what its agent stores.
struct Device {
  std::string uuid;
  std::string api_key;
  MqttAccess mqtt;  // from the registration response (password included)
  std::string OwnTopic(const std::string& leaf) const {
    return mqtt.publish.empty() ? "" : TopicUnder(mqtt.publish.front(), leaf);
  }
};

class ProvisioningE2eTest : public testing::MosquittoE2eTest {
 protected:
  static void SetUpTestSuite() {
    MosquittoE2eTest::SetUpTestSuite();
    if (!testing::MosquittoAvailable()) return;
    // docs/mosquitto.md section 5: a static probe user, appended after each export.
    MakePasswordFile(ProbePasswordFile(), kProbeUser, kProbePassword);
  }
  static std::string ProbePasswordFile() { return suite_dir_->path() + "/probe.passwd"; }

  void SetUp() override {
    MosquittoE2eTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // Empty password and ACL files: nobody can log in yet.
    broker_ = &AddBroker("broker");
    broker_->Start();
    server_ = testing::SwitchboardProcess::Start(testing::ServeOptions(url()));
  }
  void TearDown() override {
    if (server_) {  // no secret in the server's log (docs/api.md, "Authentication")
      const std::string log = server_->Log();
      EXPECT_EQ(log.find(kProbePassword), std::string::npos) << log;
      for (const Device* device : {&a_, &b_}) {
        if (device->mqtt.password.empty()) continue;
        EXPECT_EQ(log.find(device->mqtt.password), std::string::npos) << log;
        EXPECT_EQ(log.find(device->api_key), std::string::npos) << log;
      }
    }
    MosquittoE2eTest::TearDown();  // the server (SIGKILL), then Mosquitto (SIGTERM), reaped
  }

  // A TLS broker row for this test's Mosquitto (host localhost, in the
  // server certificate's subjectAltName), verified with `ca_pem_file`.
  JsonBody TlsBroker(const std::string& name, const std::string& ca_pem_file) const {
    JsonBody body;
    body.Add("name", name)
        .Add("protocol", "mqtts")
        .Add("host", "localhost")
        .Add("port", broker_->tls_port())
        .Add("use_tls", true)
        .Add("verify_certificate", true)
        .Add("ca_cert", testing::ReadFile(ca_pem_file))
        .Add("keep_alive", 30);
    return body;
  }

  // The setup: the TLS broker (default, with the probe's
  // server-side credentials) and the plain broker.
  void CreateBrokers() {
    tls_broker_id_ = CreateBroker(TlsBroker("tls-broker", pki_->ca_cert)
                                      .Add("is_default", true)
                                      .Add("username", kProbeUser)
                                      .Add("password", kProbePassword)
                                      .Take());
    plain_broker_id_ = CreateBroker(JsonBody()
                                        .Add("name", "plain-broker")
                                        .Add("protocol", "mqtt")
                                        .Add("host", "localhost")
                                        .Add("port", broker_->plain_port())
                                        .Add("use_tls", false)
                                        .Take());
  }

  // POST /api/v1/provisioning-keys; returns the key in clear.
  std::string CreateProvisioningKey() {
    const HttpResponse response =
        server_->Admin("POST", "/api/v1/provisioning-keys",
                       JsonBody().Add("fleetId", "e2e-fleet").Add("maxDevices", 10).Take());
    EXPECT_TRUE(response.status == 200 || response.status == 201)
        << response.status << " " << response.body << Diagnostics();
    const std::string key = JsonString(ParseJsonObject(response.body), "key");
    EXPECT_FALSE(key.empty()) << response.body;
    return key;
  }

  // POST /api/v1/device/register as an agent does.
  Device Register(const std::string& key, const std::string& uuid) {
    Device device{uuid, "api-key-of-" + uuid, {}};
    const HttpResponse response = testing::OneShot(
        server_->port(), "POST", "/api/v1/device/register",
        Headers{{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}},
        JsonBody()
            .Add("uuid", uuid)
            .Add("deviceName", "sensor " + uuid.substr(0, 8))
            .Add("deviceType", "thermometer")
            .Add("deviceApiKey", device.api_key)
            .Take());
    EXPECT_EQ(response.status, 200) << response.body << Diagnostics();
    const rapidjson::Document body = ParseJsonObject(response.body);
    EXPECT_EQ(JsonString(body, "uuid"), uuid);
    if (const rapidjson::Value* mqtt = JsonMember(body, "mqtt"))
      device.mqtt = ReadMqttAccess(*mqtt);
    EXPECT_EQ(device.mqtt.username, "device_" + uuid);
    EXPECT_FALSE(device.mqtt.password.empty()) << response.body;
    EXPECT_FALSE(device.mqtt.publish.empty()) << response.body;
    return device;
  }

  // The real export binary against the server's own config, the probe user
  // appended (docs/mosquitto.md section 5), then SIGHUP.
  void ExportAndReload() {
    ASSERT_NO_FATAL_FAILURE(ExportMosquittoFiles(server_->config_path(), *broker_));
    const auto appended =
        testing::RunCommand("cat " + testing::ShellQuote(ProbePasswordFile()) + " >> " +
                            testing::ShellQuote(broker_->password_file()));
    ASSERT_EQ(appended.exit_code, 0) << appended.output;
    broker_->Reload();
  }

  // Registration up to a reloaded broker: two devices.
  void Provision() {
    CreateBrokers();
    const std::string key = CreateProvisioningKey();
    a_ = Register(key, "6e2e0000-4a1b-4c2d-8e3f-00000000000a");
    b_ = Register(key, "6e2e0000-4a1b-4c2d-8e3f-00000000000b");
    ExportAndReload();
  }

  // Connects `client` with `device`'s response; fails the test otherwise.
  void ConnectOrFail(MqttTestClient& client, const Device& device, const MqttAccess& access) {
    const auto connected = client.Connect(
        ConnectOptionsFrom(access, device.mqtt.password, dir_.path() + "/" + device.uuid + ".pem"));
    ASSERT_TRUE(connected.ok) << connected.error << Diagnostics();
  }

  rapidjson::Document Probe(std::int64_t broker_id) {
    const HttpResponse response =
        server_->Admin("POST", "/api/v1/mqtt/brokers/" + std::to_string(broker_id) + "/test");
    EXPECT_EQ(response.status, 200) << response.body << Diagnostics();
    EXPECT_EQ(response.body.find(kProbePassword), std::string::npos) << response.body;
    return ParseJsonObject(response.body);
  }

  testing::MosquittoBroker* broker_ = nullptr;  // in brokers_
  std::int64_t tls_broker_id_ = 0;
  std::int64_t plain_broker_id_ = 0;
  Device a_;
  Device b_;
};

TEST_P(ProvisioningE2eTest, RegisteredDeviceConnectsOverTlsWithOnlyItsResponse) {
  ASSERT_NO_FATAL_FAILURE(Provision());
  ASSERT_FALSE(HasFailure()) << "provisioning over HTTP failed";
  const MqttAccess& mqtt = a_.mqtt;
  EXPECT_EQ(mqtt.broker, "mqtts://localhost:" + std::to_string(broker_->tls_port()));
  ASSERT_TRUE(mqtt.has_broker_config) << "a stored broker comes with brokerConfig";
  EXPECT_EQ(mqtt.keep_alive, 30);

  MqttTestClient device;
  ConnectOrFail(device, a_, mqtt);
  ASSERT_FALSE(mqtt.subscribe.empty());
  ASSERT_TRUE(device.Subscribe(mqtt.subscribe.front()));
  ASSERT_TRUE(device.Publish(a_.OwnTopic("telemetry"), "21.5C"));
  EXPECT_EQ(device.WaitForMessage(a_.OwnTopic("telemetry")), "21.5C");

  // A wrong password: CONNACK 5 (Mosquitto 2.0.11's answer for MQTT 3.1.1).
  MqttConnectOptions wrong =
      ConnectOptionsFrom(mqtt, "not-" + mqtt.password, dir_.path() + "/w.pem");
  MqttTestClient wrong_client;
  const auto refused = wrong_client.Connect(wrong);
  EXPECT_FALSE(refused.ok);
  EXPECT_EQ(refused.connack_code, 5) << refused.error;

  // The unrelated CA: the handshake fails before any MQTT is spoken.
  MqttConnectOptions other_ca = ConnectOptionsFrom(mqtt, mqtt.password, dir_.path() + "/o.pem");
  other_ca.ca_file = pki_->other_ca_cert;
  MqttTestClient other_ca_client;
  const auto unverified = other_ca_client.Connect(other_ca);
  EXPECT_FALSE(unverified.ok);
  EXPECT_FALSE(unverified.connack_code.has_value()) << "an MQTT session was set up";
  EXPECT_NE(unverified.error.find("certificate verify failed"), std::string::npos)
      << unverified.error;
}

TEST_P(ProvisioningE2eTest, AnotherDevicesTopicsDeliverNothingAndDropWrites) {
  ASSERT_NO_FATAL_FAILURE(Provision());
  ASSERT_FALSE(HasFailure()) << "provisioning over HTTP failed";
  MqttTestClient client_a;
  MqttTestClient client_b;
  ConnectOrFail(client_a, a_, a_.mqtt);
  ConnectOrFail(client_b, b_, b_.mqtt);
  ASSERT_FALSE(a_.mqtt.subscribe.empty());
  ASSERT_FALSE(b_.mqtt.subscribe.empty());
  ASSERT_NE(a_.mqtt.subscribe.front(), b_.mqtt.subscribe.front());
  ASSERT_TRUE(client_a.Subscribe(a_.mqtt.subscribe.front()));
  ASSERT_TRUE(client_b.Subscribe(b_.mqtt.subscribe.front()));
  // Granted in the SUBACK (PITFALLS), but nothing may be delivered on it.
  ASSERT_TRUE(client_a.Subscribe(b_.mqtt.subscribe.front()));
  testing::ExpectTopicsIsolated(client_a, a_.mqtt, client_b, b_.mqtt, kQuiet);
}

TEST_P(ProvisioningE2eTest, ReassignedDeviceFollowsToThePlainBroker) {
  ASSERT_NO_FATAL_FAILURE(Provision());
  ASSERT_FALSE(HasFailure()) << "provisioning over HTTP failed";
  {
    MqttTestClient on_tls;
    ConnectOrFail(on_tls, a_, a_.mqtt);
  }
  const HttpResponse put =
      server_->Admin("PUT", "/api/v1/devices/" + a_.uuid,
                     JsonBody().Add("mqtt_broker_id", plain_broker_id_).Take());
  ASSERT_EQ(put.status, 200) << put.body << Diagnostics();

  // The agent re-fetches its broker with its own API key.
  const HttpResponse fetched =
      testing::OneShot(server_->port(), "GET", "/api/v1/device/" + a_.uuid + "/mqtt",
                       Headers{{"Authorization", "Bearer " + a_.api_key}});
  ASSERT_EQ(fetched.status, 200) << fetched.body << Diagnostics();
  const MqttAccess moved = ReadMqttAccess(ParseJsonObject(fetched.body));
  EXPECT_EQ(moved.broker, "mqtt://localhost:" + std::to_string(broker_->plain_port()));
  EXPECT_EQ(moved.username, a_.mqtt.username);
  EXPECT_TRUE(moved.password.empty()) << "the password is only given at registration";
  EXPECT_TRUE(moved.has_broker_config);
  EXPECT_FALSE(moved.use_tls);
  EXPECT_TRUE(moved.ca_cert.empty());

  MqttTestClient on_plain;
  ConnectOrFail(on_plain, a_, moved);  // its stored password, the new broker
  ASSERT_FALSE(moved.subscribe.empty());
  ASSERT_TRUE(on_plain.Subscribe(moved.subscribe.front()));
  const std::string topic = TopicUnder(moved.publish.front(), "telemetry");
  ASSERT_TRUE(on_plain.Publish(topic, "moved"));
  EXPECT_EQ(on_plain.WaitForMessage(topic), "moved");
}

TEST_P(ProvisioningE2eTest, BrokerTestRouteReportsReachableTcpAndTlsFailures) {
  ASSERT_NO_FATAL_FAILURE(Provision());
  ASSERT_FALSE(HasFailure()) << "provisioning over HTTP failed";
  const rapidjson::Document reachable = Probe(tls_broker_id_);
  EXPECT_EQ(JsonBool(reachable, "reachable"), true)
      << JsonString(reachable, "error") << Diagnostics();
  EXPECT_EQ(JsonString(reachable, "stage"), "mqtt");
  EXPECT_EQ(JsonInt(reachable, "connackCode"), 0);

  // Control: the same broker without the probe user's credentials gets
  // through DNS, TCP and TLS and is refused at CONNACK, so "reachable" above
  // is the appended probe user at work.
  const std::int64_t anonymous = CreateBroker(TlsBroker("tls-anonymous", pki_->ca_cert).Take());
  const rapidjson::Document refused_login = Probe(anonymous);
  EXPECT_EQ(JsonBool(refused_login, "reachable"), false);
  EXPECT_EQ(JsonString(refused_login, "stage"), "mqtt") << JsonString(refused_login, "error");
  EXPECT_EQ(JsonInt(refused_login, "connackCode"), 5);

  const std::int64_t closed = CreateBroker(JsonBody()
                                               .Add("name", "closed-port")
                                               .Add("protocol", "mqtt")
                                               .Add("host", "127.0.0.1")
                                               .Add("port", testing::FreeLoopbackPort())
                                               .Take());
  const rapidjson::Document refused = Probe(closed);
  EXPECT_EQ(JsonBool(refused, "reachable"), false);
  EXPECT_EQ(JsonString(refused, "stage"), "tcp") << JsonString(refused, "error");

  const std::int64_t wrong_ca = CreateBroker(TlsBroker("wrong-ca", pki_->other_ca_cert).Take());
  const rapidjson::Document unverified = Probe(wrong_ca);
  EXPECT_EQ(JsonBool(unverified, "reachable"), false);
  EXPECT_EQ(JsonString(unverified, "stage"), "tls") << JsonString(unverified, "error");
  EXPECT_NE(JsonString(unverified, "error").find("certificate verification failed"),
            std::string::npos)
      << JsonString(unverified, "error");
}

SWITCHBOARD_BOTH_BACKENDS(ProvisioningE2eTest);

}  // namespace
}  // namespace switchboard::testing
