// GET /api/v1/device/{uuid}/mqtt (the device's own view, with its API key)
// and the operator's explain endpoint, over real HTTP against the real
// binary, on both backends.
#include <gtest/gtest.h>

#include "device_api_test_support.h"

namespace switchboard::testing {
namespace {

using Strings = std::vector<std::string>;

constexpr char kApiKey[] = "agent-own-api-key-0123456789";

class DeviceMqttApiTest : public DeviceApiTest {
 protected:
  // Brokers `alpha` (the default) and `beta`; one registered device.
  void SetUpDevice() {
    alpha_ = AddBroker("alpha", {{"is_default", "1"}});
    beta_ = AddBroker("beta", {{"protocol", "'mqtts'"}, {"port", "8884"}, {"use_tls", "1"}});
    key_ = AddKey("fleet-a");
    uuid_ = NewUuid();
    server_ = SwitchboardProcess::Start(ServeOptions(url()));
    const HttpResponse r =
        Register(server_->port(), key_, RegistrationBody(uuid_, "sensor", kApiKey));
    ASSERT_EQ(r.status, 200) << r.body;
  }

  HttpResponse Mqtt(const Headers& headers, const std::string& uuid = "") {
    return OneShot(server_->port(), "GET",
                   "/api/v1/device/" + (uuid.empty() ? uuid_ : uuid) + "/mqtt", headers);
  }
  HttpResponse MqttWithBearer(const std::string& key = kApiKey) {
    return Mqtt({{"Authorization", "Bearer " + key}});
  }
  HttpResponse Explain(const std::string& uuid) {
    return server_->Admin("GET", "/api/v1/devices/" + uuid + "/resolution");
  }

  long long alpha_ = 0, beta_ = 0;
  std::string key_, uuid_;
  std::unique_ptr<SwitchboardProcess> server_;
};

TEST_P(DeviceMqttApiTest, AnswersWithBearerOrHeaderWithoutThePassword) {
  SetUpDevice();
  for (const Headers& headers :
       {Headers{{"Authorization", std::string("Bearer ") + kApiKey}},
        Headers{{"X-Device-API-Key", kApiKey}}, Headers{{"x-device-api-key", kApiKey}}}) {
    SCOPED_TRACE(headers[0].first);
    const HttpResponse response = Mqtt(headers);
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.Header("Cache-Control").value_or(""), "no-store");
    EXPECT_EQ(response.Header("X-Switchboard-Resolver").value_or(""),
              "resolved-by=default; trace=device:pass,fleet:pass,regional:pass,default:resolved");
    const rapidjson::Document body = ParseJson(response.body);
    EXPECT_EQ(Keys(body), (Strings{"username", "broker", "brokerConfig", "topics", "failover",
                                   "reconnect", "refreshAfterSeconds", "configVersion"}));
    EXPECT_EQ(std::string(body["username"].GetString()), "device_" + uuid_);
    EXPECT_STREQ(body["broker"].GetString(), "mqtt://alpha.example.com:1883");
    EXPECT_STREQ(body["brokerConfig"]["host"].GetString(), "alpha.example.com");
    EXPECT_EQ(Keys(body["topics"]), (Strings{"publish", "subscribe"}));
    EXPECT_EQ(response.body.find(kApiKey), std::string::npos);
  }
  // The uuid in the path is matched case-insensitively, like registration.
  std::string upper = uuid_;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(Mqtt({{"X-Device-API-Key", kApiKey}}, upper).status, 200);
}

TEST_P(DeviceMqttApiTest, WrongKeyAndUnknownDeviceAreTheSame401) {
  SetUpDevice();
  const HttpResponse wrong = MqttWithBearer("agent-own-api-key-0123456780");
  const HttpResponse unknown =
      Mqtt({{"Authorization", std::string("Bearer ") + kApiKey}}, NewUuid());
  const HttpResponse provisioning_key = MqttWithBearer(key_);
  const HttpResponse none = Mqtt({});
  const std::string wrong_message = ExpectApiError(wrong, 401, "unauthorized");
  const std::string unknown_message = ExpectApiError(unknown, 401, "unauthorized");
  ExpectApiError(provisioning_key, 401, "unauthorized");
  ExpectApiError(none, 401, "unauthorized");
  // Never says which of the two was wrong.
  EXPECT_EQ(wrong_message, unknown_message);
  EXPECT_EQ(wrong.body, unknown.body);
  for (const HttpResponse* r : {&wrong, &unknown, &none}) {
    EXPECT_EQ(r->Header("WWW-Authenticate").value_or(""), "Bearer");
    ExpectNoInternals(r->body);
  }
  // A malformed uuid is no device either (not a 400 that confirms the shape).
  ExpectApiError(Mqtt({{"X-Device-API-Key", kApiKey}}, "x'%20OR%20'1'='1"), 401, "unauthorized");
}

TEST_P(DeviceMqttApiTest, FollowsAReassignmentAtOnce) {
  SetUpDevice();
  ASSERT_EQ(MqttWithBearer().status, 200);
  Exec("UPDATE devices SET mqtt_broker_id = " + std::to_string(beta_) + " WHERE uuid = '" + uuid_ +
       "'");
  HttpResponse response = MqttWithBearer();
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("X-Switchboard-Resolver").value_or(""),
            "resolved-by=device; trace=device:resolved");
  rapidjson::Document body = ParseJson(response.body);
  EXPECT_STREQ(body["broker"].GetString(), "mqtts://beta.example.com:8884");
  EXPECT_TRUE(body["brokerConfig"]["useTls"].GetBool());

  // The assigned broker deactivated: the chain passes over it to the default.
  Exec("UPDATE mqtt_broker_config SET is_active = 0 WHERE id = " + std::to_string(beta_));
  response = MqttWithBearer();
  ASSERT_EQ(response.status, 200) << response.body;
  body = ParseJson(response.body);
  EXPECT_STREQ(body["broker"].GetString(), "mqtt://alpha.example.com:1883");

  // No broker anywhere: 503 naming the trace, no made-up broker.
  Exec("UPDATE mqtt_broker_config SET is_active = 0");
  response = MqttWithBearer();
  const std::string message = ExpectApiError(response, 503, "unavailable");
  EXPECT_NE(message.find("no broker"), std::string::npos) << message;
  EXPECT_EQ(response.Header("X-Switchboard-Resolver").value_or(""),
            "resolved-by=none; trace=device:pass,fleet:pass,regional:pass,default:pass,env:pass");
}

TEST_P(DeviceMqttApiTest, ExplainReturnsTheWholeTrace) {
  SetUpDevice();
  HttpResponse response = Explain(uuid_);
  ASSERT_EQ(response.status, 200) << response.body;
  rapidjson::Document body = ParseJson(response.body);
  EXPECT_EQ(Keys(body), (Strings{"broker", "brokerConfig", "resolvedBy", "decision", "reason",
                                 "endpoints", "trace"}));
  EXPECT_STREQ(body["broker"].GetString(), "mqtt://alpha.example.com:1883");
  EXPECT_STREQ(body["brokerConfig"]["host"].GetString(), "alpha.example.com");
  EXPECT_STREQ(body["resolvedBy"].GetString(), "default");
  EXPECT_STREQ(body["decision"].GetString(), "resolved");
  ASSERT_TRUE(body["trace"].IsArray());
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"device", "pass"}, {"fleet", "pass"}, {"regional", "pass"}, {"default", "resolved"}};
  ASSERT_EQ(body["trace"].Size(), expected.size()) << response.body;
  for (rapidjson::SizeType i = 0; i < body["trace"].Size(); ++i) {
    const rapidjson::Value& step = body["trace"][i];
    EXPECT_EQ(Keys(step), (Strings{"plugin", "outcome", "reason", "micros"}));
    EXPECT_EQ(step["plugin"].GetString(), expected[i].first);
    EXPECT_EQ(step["outcome"].GetString(), expected[i].second);
    EXPECT_GT(step["reason"].GetStringLength(), 0u) << response.body;
    EXPECT_TRUE(step["micros"].IsInt64() && step["micros"].GetInt64() >= 0);
  }
  EXPECT_EQ(response.Header("X-Switchboard-Resolver").value_or(""),
            "resolved-by=default; trace=device:pass,fleet:pass,regional:pass,default:resolved");

  // After a reassignment explain shows it at once.
  Exec("UPDATE devices SET mqtt_broker_id = " + std::to_string(beta_));
  body = ParseJson(Explain(uuid_).body);
  EXPECT_STREQ(body["resolvedBy"].GetString(), "device");
  EXPECT_EQ(body["trace"].Size(), 1u);

  // Nothing resolves: broker and resolvedBy null, every step in the trace.
  Exec("UPDATE mqtt_broker_config SET is_active = 0");
  response = Explain(uuid_);
  ASSERT_EQ(response.status, 200) << response.body;
  body = ParseJson(response.body);
  EXPECT_TRUE(body["broker"].IsNull());
  EXPECT_TRUE(body["resolvedBy"].IsNull());
  EXPECT_STREQ(body["decision"].GetString(), "no_broker");
  EXPECT_EQ(body["trace"].Size(), 5u);
  EXPECT_STREQ(body["trace"][0]["outcome"].GetString(), "pass");
  EXPECT_STREQ(body["trace"][4]["plugin"].GetString(), "env");
}

TEST_P(DeviceMqttApiTest, ExplainUnknownDeviceIs404AndNeedsTheAdminToken) {
  SetUpDevice();
  const std::string unknown = NewUuid();
  const HttpResponse response = Explain(unknown);
  ExpectApiError(response, 404, "not_found");
  ExpectNoInternals(response.body);
  ExpectApiError(OneShot(server_->port(), "GET", "/api/v1/devices/" + uuid_ + "/resolution"), 401,
                 "unauthorized");
  ExpectApiError(OneShot(server_->port(), "GET", "/api/v1/devices/" + uuid_ + "/resolution",
                         {{"Authorization", std::string("Bearer ") + kApiKey}}),
                 401, "unauthorized");
}

TEST_P(DeviceMqttApiTest, ExplainUnknownDeviceIs404EvenWhenEnvResolves) {
  const std::string uuid = NewUuid();
  auto options = ServeOptions(url());
  options.environment["MQTT_BROKER_URL"] = "mqtt://env.example.com:1883";
  options.resolution_yaml = std::string("resolution:\n  plugin_dirs: [\"") +
                            SWITCHBOARD_PLUGIN_DIR + "\"]\n  chain:\n    - plugin: env\n";
  server_ = SwitchboardProcess::Start(options);
  ExpectApiError(Explain(uuid), 404, "not_found");
}

SWITCHBOARD_BOTH_BACKENDS(DeviceMqttApiTest);

}  // namespace
}  // namespace switchboard::testing
