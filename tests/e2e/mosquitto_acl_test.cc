// Credentials and topic rights end to end, without HTTP: devices and their
// MQTT users are written to the database as registration writes them, the
// real `switchboard export mosquitto` turns them into Mosquitto's files, and
// a real Mosquitto enforces them on a libmosquitto client connecting over
// TLS with certificate verification on. Runs on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <memory>

#include "mosquitto_e2e_fixture.h"
#include "test_database.h"
#include "util/crypto.h"

namespace switchboard::testing {
namespace {

using std::chrono::milliseconds;

// How long a message that must NOT arrive is waited for. Delivery on
// loopback takes about a millisecond.
constexpr milliseconds kQuietPeriod(1000);

struct Device {
  std::string uuid;
  std::string username;
  std::string password;
  std::string Topic(const std::string& leaf) const { return "iot/device/" + uuid + "/" + leaf; }
};

class MosquittoAclTest : public testing::MosquittoE2eTest {
 protected:
  void SetUp() override {
    MosquittoE2eTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    broker_ = &AddBroker("broker");
  }

  std::string AclFile() const { return broker_->acl_file(); }

  // What registration writes: the device, its MQTT user (hashed password)
  // and the ACL of the default topic templates.
  // `acl_topic` empty: the default template's iot/device/<uuid>/#.
  Device AddDevice(const std::string& uuid, bool active = true, const std::string& acl_topic = "") {
    Device device{uuid, "device_" + uuid, RandomToken(kMqttPasswordBytes)};
    Exec("INSERT INTO devices (uuid, device_name, device_type, api_key_hash) VALUES ('" + uuid +
         "', 'sensor', 'thermo', 'x')");
    Exec("INSERT INTO mqtt_users (username, password_hash, device_id, is_active) SELECT '" +
         device.username + "', '" + MosquittoPasswordHash(device.password) + "', id, " +
         (active ? "1" : "0") + " FROM devices WHERE uuid = '" + uuid + "'");
    Exec("INSERT INTO mqtt_acls (username, topic, access) VALUES ('" + device.username + "', '" +
         (acl_topic.empty() ? "iot/device/" + uuid + "/#" : acl_topic) + "', 'readwrite')");
    return device;
  }

  // Runs the real binary against this test's database; `extra_yaml` is
  // appended to its config.
  void Export(const std::string& extra_yaml = "") {
    const std::string config = dir_.path() + "/switchboard.yaml";
    testing::WriteFile(config, "storage:\n  url: \"" + url() + "\"\n" + extra_yaml);
    ASSERT_NO_FATAL_FAILURE(ExportMosquittoFiles(config, *broker_));
  }

  // Connection settings as a device would build them from its registration
  // response: TLS to `localhost` with the distributed CA, verification on.
  MqttConnectOptions Tls(const Device& device) const {
    MqttConnectOptions options;
    options.host = "localhost";
    options.port = broker_->tls_port();
    options.username = device.username;
    options.password = device.password;
    options.ca_file = pki_->ca_cert;
    options.keepalive = 60;
    return options;
  }

  void ConnectOrFail(MqttTestClient& client, const MqttConnectOptions& options) {
    const auto connected = client.Connect(options);
    ASSERT_TRUE(connected.ok) << connected.error << "\n" << broker_->Log();
  }

  testing::MosquittoBroker* broker_ = nullptr;  // in brokers_; not started
};

TEST_P(MosquittoAclTest, ExportedDeviceRoundTripsOnItsOwnTopicAfterAReload) {
  broker_->Start();  // with empty password and ACL files
  const Device device = AddDevice("5b0e4a52-7c1d-4f7e-9a41-0d2b8f6a1c01");
  {
    MqttTestClient before;
    const auto refused = before.Connect(Tls(device));
    EXPECT_FALSE(refused.ok) << "connected before the export";
    EXPECT_EQ(refused.connack_code, 5) << refused.error;
  }
  Export();
  EXPECT_NE(testing::ReadFile(AclFile()).find(
                "user " + device.username + "\ntopic readwrite iot/device/" + device.uuid + "/#\n"),
            std::string::npos);
  broker_->Reload();

  MqttTestClient client;
  ConnectOrFail(client, Tls(device));
  int granted = -1;
  ASSERT_TRUE(client.Subscribe("iot/device/" + device.uuid + "/#", &granted));
  EXPECT_EQ(granted, 1);
  ASSERT_TRUE(client.Publish(device.Topic("telemetry"), "21.5C"));
  EXPECT_EQ(client.WaitForMessage(device.Topic("telemetry")), "21.5C");
}

TEST_P(MosquittoAclTest, OtherDevicesTopicsDeliverNothingAndRefuseWrites) {
  const Device a = AddDevice("5b0e4a52-7c1d-4f7e-9a41-0d2b8f6a1c0a");
  const Device b = AddDevice("5b0e4a52-7c1d-4f7e-9a41-0d2b8f6a1c0b");
  Export();
  broker_->Start();
  MqttTestClient client_a;
  MqttTestClient client_b;
  ConnectOrFail(client_a, Tls(a));
  ConnectOrFail(client_b, Tls(b));
  ASSERT_TRUE(client_b.Subscribe("iot/device/" + b.uuid + "/#"));

  // Mosquitto 2.0.11 grants the denied subscription (PITFALLS) ...
  int granted = -1;
  ASSERT_TRUE(client_a.Subscribe("iot/device/" + b.uuid + "/#", &granted));
  EXPECT_EQ(granted, 1);
  // ... but delivers nothing on it: b's message reaches b, not a.
  ASSERT_TRUE(client_b.Publish(b.Topic("telemetry"), "b-secret-reading"));
  EXPECT_EQ(client_b.WaitForMessage(b.Topic("telemetry")), "b-secret-reading");
  EXPECT_EQ(client_a.WaitForMessage(b.Topic("telemetry"), kQuietPeriod), std::nullopt);

  // a's publish into b's tree is acknowledged and dropped.
  ASSERT_TRUE(client_a.Publish(b.Topic("command"), "forged-command"));
  EXPECT_EQ(client_b.WaitForMessage(b.Topic("command"), kQuietPeriod), std::nullopt);
  // b's own command still flows, so the quiet above is the ACL, not a dead link.
  ASSERT_TRUE(client_b.Publish(b.Topic("command"), "real-command"));
  EXPECT_EQ(client_b.WaitForMessage(b.Topic("command")), "real-command");
}

TEST_P(MosquittoAclTest, WrongPasswordAndInactiveUsersAreRefused) {
  const Device active = AddDevice("5b0e4a52-7c1d-4f7e-9a41-0d2b8f6a1c11");
  const Device inactive = AddDevice("5b0e4a52-7c1d-4f7e-9a41-0d2b8f6a1c12", /*active=*/false);
  Export();
  broker_->Start();

  MqttConnectOptions wrong = Tls(active);
  wrong.password = "not-" + active.password;
  MqttTestClient wrong_client;
  const auto refused = wrong_client.Connect(wrong);
  EXPECT_FALSE(refused.ok);
  // Mosquitto 2.0.11 answers MQTT 3.1.1 bad credentials with 5, not 4.
  EXPECT_EQ(refused.connack_code, 5) << refused.error;

  MqttTestClient inactive_client;
  const auto not_exported = inactive_client.Connect(Tls(inactive));
  EXPECT_FALSE(not_exported.ok);
  EXPECT_EQ(not_exported.connack_code, 5) << not_exported.error;

  MqttTestClient right_client;
  ConnectOrFail(right_client, Tls(active));
}

TEST_P(MosquittoAclTest, VerifyingWithAnUnrelatedCaFailsTheHandshake) {
  const Device device = AddDevice("5b0e4a52-7c1d-4f7e-9a41-0d2b8f6a1c21");
  Export();
  broker_->Start();
  MqttConnectOptions options = Tls(device);
  options.ca_file = pki_->other_ca_cert;
  MqttTestClient client;
  const auto result = client.Connect(options);
  EXPECT_FALSE(result.ok);
  EXPECT_FALSE(result.connack_code.has_value()) << "an MQTT session was set up";
  EXPECT_NE(result.error.find("certificate verify failed"), std::string::npos) << result.error;
}

// Templates written with {username}: the export writes one `pattern` line
// for every device, and Mosquitto gives each device its own tree only.
TEST_P(MosquittoAclTest, PatternLinesGiveEachDeviceItsOwnTopicsOnly) {
  const std::string uuid_a = "5b0e4a52-7c1d-4f7e-9a41-0d2b8f6a1c3a";
  const std::string uuid_b = "5b0e4a52-7c1d-4f7e-9a41-0d2b8f6a1c3b";
  const Device a = AddDevice(uuid_a, true, "devices/device_" + uuid_a + "/#");
  const Device b = AddDevice(uuid_b, true, "devices/device_" + uuid_b + "/#");
  Export(
      "provisioning:\n  topics:\n    publish: [\"devices/{username}/#\"]\n"
      "    subscribe: [\"devices/{username}/#\"]\n");
  const std::string acl = testing::ReadFile(AclFile());
  EXPECT_NE(acl.find("\npattern readwrite devices/%u/#\n"), std::string::npos) << acl;
  EXPECT_EQ(acl.find("\nuser "), std::string::npos) << acl;
  broker_->Start();
  MqttTestClient client_a;
  MqttTestClient client_b;
  ConnectOrFail(client_a, Tls(a));
  ConnectOrFail(client_b, Tls(b));
  const std::string own_a = "devices/" + a.username + "/telemetry";
  const std::string own_b = "devices/" + b.username + "/telemetry";
  ASSERT_TRUE(client_a.Subscribe("devices/" + a.username + "/#"));
  ASSERT_TRUE(client_b.Subscribe("devices/" + b.username + "/#"));
  ASSERT_TRUE(client_a.Subscribe("devices/" + b.username + "/#"));  // granted, delivers nothing
  ASSERT_TRUE(client_a.Publish(own_a, "a-reading"));
  EXPECT_EQ(client_a.WaitForMessage(own_a), "a-reading");
  ASSERT_TRUE(client_b.Publish(own_b, "b-reading"));
  EXPECT_EQ(client_b.WaitForMessage(own_b), "b-reading");
  EXPECT_EQ(client_a.WaitForMessage(own_b, kQuietPeriod), std::nullopt);
  ASSERT_TRUE(client_a.Publish("devices/" + b.username + "/command", "forged"));
  EXPECT_EQ(client_b.WaitForMessage("devices/" + b.username + "/command", kQuietPeriod),
            std::nullopt);
}

SWITCHBOARD_BOTH_BACKENDS(MosquittoAclTest);

}  // namespace
}  // namespace switchboard::testing
