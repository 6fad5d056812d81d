// The parsing of server answers: good answers, missing members, wrong
// types, garbage. Every input is raw bytes, as the server (or anything
// pretending to be it) could send them.
#include "server_answer.h"

#include <gtest/gtest.h>

#include <string>

namespace switchboard::agent {
namespace {

constexpr char kUuid[] = "3f2b8c1e-9a4d-4e6b-8f0a-1c2d3e4f5a6b";

// Today's server: broker, brokerConfig, topics (docs/api.md).
std::string TodaysConfig() {
  return R"({"username":"device_3f2b8c1e-9a4d-4e6b-8f0a-1c2d3e4f5a6b",
    "broker":"mqtts://mqtt.example.com:8883",
    "brokerConfig":{"protocol":"mqtts","host":"mqtt.example.com","port":8883,"useTls":true,
      "verifyCertificate":true,"clientIdPrefix":"dev-","keepAlive":30,"cleanSession":false,
      "reconnectPeriod":2000,"connectTimeout":10000,"caCert":"-----BEGIN CERTIFICATE-----\nx\n"},
    "topics":{"publish":["iot/device/u/#"],"subscribe":["iot/device/u/cmd/#"]}})";
}

std::string RegistrationBody(const std::string& mqtt_members) {
  return std::string(R"({"id":7,"uuid":")") + kUuid +
         R"(","deviceName":"b","deviceType":"t","fleetId":"f","createdAt":"x","mqtt":{)" +
         mqtt_members + "}}";
}

TEST(ServerAnswerTest, ReadsTodaysConfigAnswerWithBrokerConfig) {
  const Parsed<DeviceConfig> parsed = ParseConfigAnswer(TodaysConfig());
  ASSERT_TRUE(parsed.value) << parsed.error;
  EXPECT_TRUE(parsed.warnings.empty());
  const DeviceConfig& config = *parsed.value;
  EXPECT_EQ(config.username, "device_3f2b8c1e-9a4d-4e6b-8f0a-1c2d3e4f5a6b");
  ASSERT_EQ(config.endpoints.size(), 1u);
  const Endpoint& broker = config.endpoints[0];
  EXPECT_EQ(broker.url, "mqtts://mqtt.example.com:8883");
  EXPECT_EQ(broker.protocol, "mqtts");
  EXPECT_EQ(broker.host, "mqtt.example.com");
  EXPECT_EQ(broker.port, 8883);
  EXPECT_TRUE(broker.use_tls);
  EXPECT_TRUE(broker.verify_certificate);
  EXPECT_EQ(broker.client_id_prefix, "dev-");
  EXPECT_EQ(broker.keep_alive_s, 30);
  EXPECT_FALSE(broker.clean_session);
  EXPECT_EQ(broker.connect_timeout_ms, 10000);
  EXPECT_EQ(broker.ca_cert, "-----BEGIN CERTIFICATE-----\nx\n");
  EXPECT_EQ(config.publish, std::vector<std::string>{"iot/device/u/#"});
  EXPECT_EQ(config.subscribe, std::vector<std::string>{"iot/device/u/cmd/#"});
  // No `reconnect`: the defaults, with reconnectPeriod as the first delay.
  EXPECT_FALSE(config.reconnect_from_server);
  EXPECT_EQ(config.reconnect.initial_delay_ms, 2000);
  EXPECT_EQ(config.reconnect.max_delay_ms, 120000);
  EXPECT_EQ(config.reconnect.attempts_per_endpoint, 3);
  EXPECT_EQ(config.reconnect.failback_after_s, 300);
  EXPECT_TRUE(config.config_version.empty());
  EXPECT_EQ(config.refresh_after_s, kDefaultRefreshAfterSeconds);
  EXPECT_FALSE(config.refresh_from_server);
}

TEST(ServerAnswerTest, ReadsTheSecondWaveFields) {
  const std::string body = R"({"username":"device_u","broker":"mqtt://a.example:1883",
    "brokerConfig":{"protocol":"mqtt","host":"a.example","port":1883},
    "failover":[{"broker":"mqtts://b.example:8883","brokerConfig":{"protocol":"mqtts",
                 "host":"b.example","port":8883,"useTls":true,"caCert":"PEM-B"}},
                {"broker":"mqtt://[::1]:1884"}],
    "reconnect":{"initialDelayMs":500,"maxDelayMs":8000,"jitter":0.5,"attemptsPerEndpoint":2,
                 "failbackAfterSeconds":30},
    "configVersion":"v-42","refreshAfterSeconds":20,"topics":{"publish":[],"subscribe":[]}})";
  const Parsed<DeviceConfig> parsed = ParseConfigAnswer(body);
  ASSERT_TRUE(parsed.value) << parsed.error;
  EXPECT_TRUE(parsed.warnings.empty()) << parsed.warnings.front();
  const DeviceConfig& config = *parsed.value;
  ASSERT_EQ(config.endpoints.size(), 3u);
  EXPECT_EQ(config.endpoints[1].host, "b.example");
  EXPECT_TRUE(config.endpoints[1].use_tls);
  EXPECT_EQ(config.endpoints[1].ca_cert, "PEM-B");
  EXPECT_EQ(config.endpoints[2].host, "::1");  // from the URL alone
  EXPECT_EQ(config.endpoints[2].port, 1884);
  EXPECT_TRUE(config.reconnect_from_server);
  EXPECT_EQ(config.reconnect.initial_delay_ms, 500);
  EXPECT_EQ(config.reconnect.max_delay_ms, 8000);
  EXPECT_DOUBLE_EQ(config.reconnect.jitter, 0.5);
  EXPECT_EQ(config.reconnect.attempts_per_endpoint, 2);
  EXPECT_EQ(config.reconnect.failback_after_s, 30);
  EXPECT_EQ(config.config_version, "v-42");
  EXPECT_EQ(config.refresh_after_s, 20);
  EXPECT_TRUE(config.refresh_from_server);
}

TEST(ServerAnswerTest, BrokerUrlAloneIsEnoughAsFromTheEnvResolver) {
  const Parsed<DeviceConfig> parsed =
      ParseConfigAnswer(R"({"username":"device_u","broker":"mqtt://10.0.0.5:1884","topics":{}})");
  ASSERT_TRUE(parsed.value) << parsed.error;
  EXPECT_EQ(parsed.value->endpoints[0].host, "10.0.0.5");
  EXPECT_EQ(parsed.value->endpoints[0].port, 1884);
  EXPECT_FALSE(parsed.value->endpoints[0].use_tls);
}

TEST(ServerAnswerTest, RegistrationGivesUuidPasswordAndAConfigWithoutThePassword) {
  const Parsed<Registration> parsed = ParseRegistrationAnswer(RegistrationBody(
      R"("username":"device_u","password":"pw-secret-123","broker":"mqtt://h:1883",
         "topics":{"publish":["iot/device/u/#"]})"));
  ASSERT_TRUE(parsed.value) << parsed.error;
  EXPECT_EQ(parsed.value->uuid, kUuid);
  EXPECT_EQ(parsed.value->password, "pw-secret-123");
  EXPECT_EQ(parsed.value->config.raw_json.find("pw-secret-123"), std::string::npos)
      << parsed.value->config.raw_json;
  // The kept config is itself a readable answer.
  EXPECT_TRUE(ParseConfigAnswer(parsed.value->config.raw_json).value);
}

TEST(ServerAnswerTest, MissingRequiredMembersMakeTheAnswerUnreadable) {
  const struct {
    const char* body;
    const char* error;
  } cases[] = {
      {R"({"broker":"mqtt://h:1883"})", "username"},
      {R"({"username":"u"})", "broker is missing"},
      {R"({"username":"u","brokerConfig":{"port":1883}})", "brokerConfig.host"},
      {R"({"username":"u","brokerConfig":{"host":"h"}})", "brokerConfig.port"},
      {R"({"username":"u","brokerConfig":{"host":"h","port":0}})", "brokerConfig.port"},
      {R"({"username":"u","brokerConfig":{"host":"h","port":65536}})", "brokerConfig.port"},
      {R"({"username":"u","brokerConfig":{"host":"h/x","port":1}})", "brokerConfig.host"},
      {R"({"username":"u","broker":"http://h:1883"})", "scheme"},
      {R"({"username":"u","broker":"mqtt://user:pw@h:1883"})", "user information"},
      {R"({"username":"u","broker":"mqtt://h:99999"})", "port"},
  };
  for (const auto& c : cases) {
    const Parsed<DeviceConfig> parsed = ParseConfigAnswer(c.body);
    EXPECT_FALSE(parsed.value) << c.body;
    EXPECT_NE(parsed.error.find(c.error), std::string::npos) << c.body << " -> " << parsed.error;
  }
  EXPECT_FALSE(
      ParseRegistrationAnswer(RegistrationBody(R"("username":"u","broker":"mqtt://h")")).value)
      << "no password";
  EXPECT_FALSE(
      ParseRegistrationAnswer(R"({"mqtt":{"username":"u","password":"p","broker":"mqtt://h"}})")
          .value)
      << "no uuid";
}

TEST(ServerAnswerTest, WrongTypesOfRequiredMembersAreErrorsNeverCrashes) {
  const char* bodies[] = {
      R"({"username":7,"broker":"mqtt://h"})",
      R"({"username":"u","broker":7})",
      R"({"username":"u","broker":["mqtt://h"]})",
      R"({"username":"u","brokerConfig":"mqtt://h"})",
      R"({"username":"u","brokerConfig":{"host":["h"],"port":1883}})",
      R"({"username":"u","brokerConfig":{"host":"h","port":"1883"}})",
      R"({"username":"u","brokerConfig":{"host":"h","port":1883.5}})",
      R"({"username":null,"broker":"mqtt://h"})",
  };
  for (const char* body : bodies) {
    const Parsed<DeviceConfig> parsed = ParseConfigAnswer(body);
    EXPECT_FALSE(parsed.value) << body;
    EXPECT_FALSE(parsed.error.empty()) << body;
  }
  EXPECT_FALSE(ParseRegistrationAnswer(
                   RegistrationBody(R"("username":"u","password":42,"broker":"mqtt://h")"))
                   .value);
  EXPECT_FALSE(ParseRegistrationAnswer(R"({"uuid":1,"mqtt":{}})").value);
  EXPECT_FALSE(ParseRegistrationAnswer(R"({"uuid":"x","mqtt":[]})").value);
}

TEST(ServerAnswerTest, WrongOptionalMembersAreWarningsAndDefaults) {
  const std::string body = R"({"username":"u","broker":"mqtt://h:1883",
    "brokerConfig":{"host":"h","port":1883,"useTls":"yes","keepAlive":"60","cleanSession":1,
                    "connectTimeout":-5,"protocol":"carrier-pigeon","caCert":{}},
    "failover":[7,{"broker":"nope"},{"broker":"mqtt://ok:1"}],
    "reconnect":{"initialDelayMs":"fast","jitter":3,"attemptsPerEndpoint":0,"maxDelayMs":1e400},
    "configVersion":5,"refreshAfterSeconds":0,"topics":{"publish":"iot/#","subscribe":[1,"a/b"]}})";
  const Parsed<DeviceConfig> parsed = ParseConfigAnswer(body);
  // 1e400 is not valid JSON for RapidJSON (out of double range).
  if (!parsed.value) {
    EXPECT_NE(parsed.error.find("not valid JSON"), std::string::npos) << parsed.error;
  }
  std::string without_huge = body;
  without_huge.replace(without_huge.find("1e400"), 5, "\"x\"");
  const Parsed<DeviceConfig> tolerant = ParseConfigAnswer(without_huge);
  ASSERT_TRUE(tolerant.value) << tolerant.error;
  const DeviceConfig& config = *tolerant.value;
  ASSERT_EQ(config.endpoints.size(), 2u) << "bad failover entries are skipped";
  EXPECT_EQ(config.endpoints[1].host, "ok");
  const Endpoint& primary = config.endpoints[0];
  EXPECT_FALSE(primary.use_tls);
  EXPECT_EQ(primary.keep_alive_s, 60);
  EXPECT_TRUE(primary.clean_session);
  EXPECT_EQ(primary.connect_timeout_ms, 30000);
  EXPECT_EQ(primary.protocol, "mqtt");
  EXPECT_EQ(primary.ca_cert, "");
  EXPECT_EQ(config.reconnect, ReconnectPolicy{});
  EXPECT_EQ(config.config_version, "");
  EXPECT_EQ(config.refresh_after_s, kDefaultRefreshAfterSeconds);
  EXPECT_TRUE(config.publish.empty());
  EXPECT_EQ(config.subscribe, std::vector<std::string>{"a/b"});
  EXPECT_GE(tolerant.warnings.size(), 12u);
  for (const std::string& warning : tolerant.warnings) {
    EXPECT_EQ(warning.find("carrier-pigeon"), std::string::npos) << "warnings never quote values";
  }
}

TEST(ServerAnswerTest, KeepAliveIsClampedToWhatLibmosquittoAccepts) {
  for (const auto& [given, used] : {std::pair{1, 5}, std::pair{70000, 65535}, std::pair{45, 45}}) {
    const Parsed<DeviceConfig> parsed =
        ParseConfigAnswer(R"({"username":"u","brokerConfig":{"host":"h","port":1,"keepAlive":)" +
                          std::to_string(given) + "}}");
    ASSERT_TRUE(parsed.value) << parsed.error;
    EXPECT_EQ(parsed.value->endpoints[0].keep_alive_s, used) << given;
  }
}

TEST(ServerAnswerTest, GarbageIsUnreadable) {
  static constexpr char kNulInside[] = "{\"username\":\"u\",\"broker\":\"mqtt://h\0x\"}";
  const std::string bodies[] = {
      "",
      "null",
      "[]",
      "\"mqtt://h\"",
      "{",
      R"({"username":"u","broker":"mqtt://h"} trailing)",
      std::string("{\"username\":\"u\xff\",\"broker\":\"mqtt://h\"}"),  // invalid UTF-8
      std::string(40, '[') + std::string(40, ']'),
      "<html>502 Bad Gateway</html>",
      std::string(kNulInside, sizeof kNulInside - 1),
  };
  for (const std::string& body : bodies) {
    const Parsed<DeviceConfig> parsed = ParseConfigAnswer(body);
    EXPECT_FALSE(parsed.value) << body;
    EXPECT_FALSE(ParseRegistrationAnswer(body).value) << body;
  }
}

TEST(ServerAnswerTest, DeepNestingAndHugeBodiesAreRefusedBeforeTheyCostMuch) {
  std::string deep = R"({"username":"u","broker":"mqtt://h","x":)";
  for (int i = 0; i < 100000; ++i) deep += "[";
  EXPECT_EQ(ParseConfigAnswer(deep).error, "answer is nested too deeply");
  std::string huge =
      R"({"username":"u","broker":"mqtt://h","x":")" + std::string(kMaxAnswerBytes, 'a') + "\"}";
  EXPECT_EQ(ParseConfigAnswer(huge).error, "answer is larger than 1 MiB");
}

TEST(ServerAnswerTest, UnknownMembersAreIgnored) {
  const Parsed<DeviceConfig> parsed = ParseConfigAnswer(
      R"({"username":"u","broker":"mqtt://h","future":{"a":[1,2]},"brokerConfig":null})");
  ASSERT_TRUE(parsed.value) << parsed.error;
  EXPECT_TRUE(parsed.warnings.empty());
}

TEST(ServerAnswerTest, ErrorMessageIsReadSafely) {
  EXPECT_EQ(ParseErrorMessage(
                R"({"error":{"code":"unauthorized","message":"invalid provisioning key"}})"),
            "invalid provisioning key");
  EXPECT_EQ(ParseErrorMessage(R"({"error":{"message":"two\nlines"}})"), "two lines");
  EXPECT_EQ(ParseErrorMessage(R"({"error":"flat"})"), "");
  EXPECT_EQ(ParseErrorMessage("Internal Server Error"), "");
  const std::string long_message(1000, 'm');
  EXPECT_LE(ParseErrorMessage(R"({"error":{"message":")" + long_message + "\"}}").size(), 310u);
  // Cut at 300 bytes, but never inside a multi-byte character.
  std::string accents;
  for (int i = 0; i < 200; ++i) accents += "\xc3\xa9";  // é
  const std::string cut = ParseErrorMessage(R"({"error":{"message":")" + accents + "\"}}");
  EXPECT_EQ(cut.substr(0, 300), accents.substr(0, 300));
  EXPECT_EQ(cut.substr(300), "…");
}

TEST(DeviceConfigTest, SameAsUsesVersionsWhenBothHaveOneElseTheContent) {
  DeviceConfig a = *ParseConfigAnswer(TodaysConfig()).value;
  DeviceConfig b = a;
  EXPECT_TRUE(a.SameAs(b));
  b.endpoints[0].port = 8884;
  EXPECT_FALSE(a.SameAs(b)) << "without versions the content decides";
  b = a;
  b.endpoints[0].ca_cert = "rotated";
  EXPECT_FALSE(a.SameAs(b)) << "a CA rotation is a change";
  a.config_version = "v1";
  b.config_version = "v1";
  EXPECT_TRUE(a.SameAs(b)) << "equal versions: same config";
  b = a;
  b.config_version = "v2";
  EXPECT_FALSE(a.SameAs(b));
}

}  // namespace
}  // namespace switchboard::agent
