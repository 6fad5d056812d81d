// POST /api/v1/device/register over real HTTP against the real binary, on
// both backends: the response field by field (docs/api.md), the idempotent
// retry, and every error status with nothing written behind it.
#include <gtest/gtest.h>

#include <regex>

#include "device_api_test_support.h"

namespace switchboard::testing {
namespace {

using Strings = std::vector<std::string>;

constexpr char kCaCert[] = "-----BEGIN CERTIFICATE-----\nCA-CERT-PEM\n-----END CERTIFICATE-----\n";
constexpr char kClientCert[] =
    "-----BEGIN CERTIFICATE-----\nCLIENT-CERT-PEM\n-----END CERTIFICATE-----\n";

// Topic templates other than the defaults, so the test sees they come from
// the YAML: publish-only, subscribe-only and both.
constexpr char kTopicsYaml[] =
    "provisioning:\n"
    "  topics:\n"
    "    publish: [\"site/{uuid}/telemetry\", \"site/{uuid}/state\"]\n"
    "    subscribe: [\"site/{uuid}/commands\", \"site/{uuid}/state\"]\n";

Strings StringArray(const rapidjson::Value& value) {
  Strings out;
  if (!value.IsArray()) return out;
  for (const auto& element : value.GetArray()) {
    out.push_back(element.IsString() ? element.GetString() : "<not a string>");
  }
  return out;
}

class RegistrationApiTest : public DeviceApiTest {
 protected:
  // The default broker of the response test: every client-visible field
  // set to a non-default value, and every secret set too.
  long long AddFullBroker(const std::string& name, bool is_default) {
    return AddBroker(name, {{"protocol", "'mqtts'"},
                            {"port", "8883"},
                            {"use_tls", "1"},
                            {"verify_certificate", "0"},
                            {"ca_cert", "'" + std::string(kCaCert) + "'"},
                            {"client_cert", "'" + std::string(kClientCert) + "'"},
                            {"client_id_prefix", "'edge-'"},
                            {"keep_alive", "45"},
                            {"clean_session", "0"},
                            {"reconnect_period", "2500"},
                            {"connect_timeout", "12000"},
                            {"is_default", is_default ? "1" : "0"},
                            {"username", "'broker-user-zq'"},
                            {"password", "'broker-pass-zq'"},
                            {"client_key", "'CLIENT-KEY-zq'"},
                            {"extra_config", "'{\"secretish\":\"extra-zq\"}'"}});
  }

  // Everything that must be true after a request that must write nothing.
  void ExpectNothingWritten(const std::string& key) {
    EXPECT_EQ(Rows(), (RowCounts{0, 0, 0}));
    EXPECT_EQ(KeyCounter(key), 0);
  }
};

TEST_P(RegistrationApiTest, ResponseFieldByFieldWithStoredBroker) {
  AddFullBroker("primary", true);
  const std::string key = AddKey("fleet-a");
  auto options = ServeOptions(url());
  options.extra_yaml = kTopicsYaml;
  auto server = SwitchboardProcess::Start(options);

  // Upper-case uuid: accepted, answered and stored in lower case.
  const std::string uuid = NewUuid();
  std::string upper = uuid;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const HttpResponse response =
      Register(server->port(), key,
               RegistrationBody(upper, "Boiler room sensor", testing::kDeviceApiKey,
                                R"("macAddress":"aa:bb:cc:dd:ee:ff","agentVersion":"3.1.0")"));
  ASSERT_EQ(response.status, 200) << response.body << server->Log();
  EXPECT_EQ(response.Header("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(response.Header("Cache-Control").value_or(""), "no-store");
  EXPECT_EQ(response.Header("X-Switchboard-Resolver").value_or(""),
            "resolved-by=default; trace=device:pass,fleet:pass,regional:pass,default:resolved");

  const rapidjson::Document body = ParseJson(response.body);
  ASSERT_TRUE(body.IsObject());
  EXPECT_EQ(Keys(body),
            (Strings{"id", "uuid", "deviceName", "deviceType", "fleetId", "createdAt", "mqtt"}));
  ASSERT_TRUE(body["id"].IsInt64());
  EXPECT_EQ(body["id"].GetInt64(), QueryInt("SELECT id FROM devices WHERE uuid = '" + uuid + "'"));
  EXPECT_STREQ(body["uuid"].GetString(), uuid.c_str());
  EXPECT_STREQ(body["deviceName"].GetString(), "Boiler room sensor");
  EXPECT_STREQ(body["deviceType"].GetString(), "thermometer");
  EXPECT_STREQ(body["fleetId"].GetString(), "fleet-a");
  EXPECT_TRUE(std::regex_match(body["createdAt"].GetString(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)")))
      << body["createdAt"].GetString();

  const rapidjson::Value& mqtt = body["mqtt"];
  EXPECT_EQ(Keys(mqtt), (Strings{"username", "password", "broker", "brokerConfig", "topics",
                                 "failover", "reconnect", "refreshAfterSeconds", "configVersion"}));
  EXPECT_EQ(std::string(mqtt["username"].GetString()), "device_" + uuid);
  const std::string password = mqtt["password"].GetString();
  EXPECT_GE(password.size(), 22u);  // ≥ 128 bits of base64
  EXPECT_TRUE(std::regex_match(password, std::regex("[A-Za-z0-9+/_=-]+"))) << password;
  EXPECT_STREQ(mqtt["broker"].GetString(), "mqtts://primary.example.com:8883");

  const rapidjson::Value& config = mqtt["brokerConfig"];
  EXPECT_EQ(Keys(config), (Strings{"protocol", "host", "port", "useTls", "verifyCertificate",
                                   "clientIdPrefix", "keepAlive", "cleanSession", "reconnectPeriod",
                                   "connectTimeout", "caCert", "clientCert"}));
  EXPECT_STREQ(config["protocol"].GetString(), "mqtts");
  EXPECT_STREQ(config["host"].GetString(), "primary.example.com");
  EXPECT_EQ(config["port"].GetInt(), 8883);
  EXPECT_TRUE(config["useTls"].GetBool());
  EXPECT_FALSE(config["verifyCertificate"].GetBool());
  EXPECT_STREQ(config["clientIdPrefix"].GetString(), "edge-");
  EXPECT_EQ(config["keepAlive"].GetInt(), 45);
  EXPECT_FALSE(config["cleanSession"].GetBool());
  EXPECT_EQ(config["reconnectPeriod"].GetInt(), 2500);
  EXPECT_EQ(config["connectTimeout"].GetInt(), 12000);
  EXPECT_STREQ(config["caCert"].GetString(), kCaCert);
  EXPECT_STREQ(config["clientCert"].GetString(), kClientCert);

  const rapidjson::Value& topics = mqtt["topics"];
  EXPECT_EQ(Keys(topics), (Strings{"publish", "subscribe"}));
  EXPECT_EQ(StringArray(topics["publish"]),
            (Strings{"site/" + uuid + "/telemetry", "site/" + uuid + "/state"}));
  EXPECT_EQ(StringArray(topics["subscribe"]),
            (Strings{"site/" + uuid + "/commands", "site/" + uuid + "/state"}));
  for (const char* secret : {"broker-user-zq", "broker-pass-zq", "CLIENT-KEY-zq", "extra-zq",
                             "secretish", testing::kDeviceApiKey}) {
    EXPECT_EQ(response.body.find(secret), std::string::npos) << secret;
  }

  // What was stored: the device in the key's fleet, its API key hashed, one
  // MQTT user whose hash verifies the returned password, the ACL rows of
  // the templates, the key counted once.
  const std::string where = "uuid = '" + uuid + "'";
  EXPECT_EQ(QueryString("SELECT fleet_id FROM devices WHERE " + where), "fleet-a");
  EXPECT_EQ(QueryString("SELECT mac_address FROM devices WHERE " + where), "aa:bb:cc:dd:ee:ff");
  const std::string api_key_hash = QueryString("SELECT api_key_hash FROM devices WHERE " + where);
  EXPECT_EQ(api_key_hash.find(testing::kDeviceApiKey), std::string::npos);
  EXPECT_TRUE(VerifyDeviceApiKey(testing::kDeviceApiKey, api_key_hash));
  const std::string hash =
      QueryString("SELECT password_hash FROM mqtt_users WHERE username = 'device_" + uuid + "'");
  EXPECT_EQ(hash.rfind("$7$", 0), 0u) << hash;
  EXPECT_TRUE(VerifyMosquittoPassword(password, hash));
  const std::string acl = "username = 'device_" + uuid + "' AND topic = 'site/" + uuid;
  EXPECT_EQ(Count("mqtt_acls", acl + "/telemetry' AND access = 'write'"), 1);
  EXPECT_EQ(Count("mqtt_acls", acl + "/state' AND access = 'readwrite'"), 1);
  EXPECT_EQ(Count("mqtt_acls", acl + "/commands' AND access = 'read'"), 1);
  EXPECT_EQ(Rows(), (RowCounts{1, 1, 3}));
  EXPECT_EQ(KeyCounter(key), 1);
}

TEST_P(RegistrationApiTest, CertificatesOnlyWhenSetAndTheDecidingPluginInTheHeader) {
  // The fleet's broker decides (no certificates stored): the header names
  // `fleet`, brokerConfig has no caCert/clientCert.
  AddFullBroker("default-one", true);
  const long long fleet_broker =
      AddBroker("plain", {{"port", "1884"}, {"client_id_prefix", "NULL"}});
  AddFleet("fleet-b", fleet_broker);
  const std::string key = AddKey("fleet-b");
  auto server = SwitchboardProcess::Start(ServeOptions(url()));

  const std::string uuid = NewUuid();
  const HttpResponse response = Register(server->port(), key, RegistrationBody(uuid));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("X-Switchboard-Resolver").value_or(""),
            "resolved-by=fleet; trace=device:pass,fleet:resolved");
  const rapidjson::Document body = ParseJson(response.body);
  const rapidjson::Value& mqtt = body["mqtt"];
  EXPECT_STREQ(mqtt["broker"].GetString(), "mqtt://plain.example.com:1884");
  EXPECT_EQ(Keys(mqtt["brokerConfig"]),
            (Strings{"protocol", "host", "port", "useTls", "verifyCertificate", "clientIdPrefix",
                     "keepAlive", "cleanSession", "reconnectPeriod", "connectTimeout"}));
  EXPECT_STREQ(mqtt["brokerConfig"]["clientIdPrefix"].GetString(), "");
  EXPECT_EQ(mqtt["brokerConfig"]["keepAlive"].GetInt(), 60);  // the column defaults
  EXPECT_TRUE(mqtt["brokerConfig"]["cleanSession"].GetBool());
  EXPECT_EQ(mqtt["brokerConfig"]["reconnectPeriod"].GetInt(), 1000);
  EXPECT_EQ(mqtt["brokerConfig"]["connectTimeout"].GetInt(), 30000);
  EXPECT_TRUE(mqtt["brokerConfig"]["verifyCertificate"].GetBool());
  // Default topic templates.
  EXPECT_EQ(StringArray(mqtt["topics"]["publish"]), (Strings{"iot/device/" + uuid + "/#"}));
  EXPECT_EQ(StringArray(mqtt["topics"]["subscribe"]), (Strings{"iot/device/" + uuid + "/#"}));
  EXPECT_EQ(Count("mqtt_acls", "access = 'readwrite'"), 1);
}

TEST_P(RegistrationApiTest, WebSocketBrokerCarriesItsPath) {
  const long long ws = AddBroker("ws", {{"protocol", "'wss'"},
                                        {"port", "443"},
                                        {"path", "'/mqtt'"},
                                        {"use_tls", "1"},
                                        {"is_default", "1"}});
  ASSERT_GT(ws, 0);
  const std::string key = AddKey("fleet-a");
  auto server = SwitchboardProcess::Start(ServeOptions(url()));
  const HttpResponse response = Register(server->port(), key, RegistrationBody(NewUuid()));
  ASSERT_EQ(response.status, 200) << response.body;
  const rapidjson::Document body = ParseJson(response.body);
  EXPECT_STREQ(body["mqtt"]["broker"].GetString(), "wss://ws.example.com:443/mqtt");
  const rapidjson::Value& config = body["mqtt"]["brokerConfig"];
  EXPECT_EQ(Keys(config), (Strings{"protocol", "host", "port", "path", "useTls",
                                   "verifyCertificate", "clientIdPrefix", "keepAlive",
                                   "cleanSession", "reconnectPeriod", "connectTimeout"}));
  EXPECT_STREQ(config["path"].GetString(), "/mqtt");
}

TEST_P(RegistrationApiTest, EnvBrokerHasNoBrokerConfig) {
  const std::string key = AddKey("fleet-a");
  auto options = ServeOptions(url());
  options.environment["MQTT_BROKER_URL"] = "mqtt://env-broker.example.com:1884";
  auto server = SwitchboardProcess::Start(options);

  const HttpResponse response = Register(server->port(), key, RegistrationBody(NewUuid()));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("X-Switchboard-Resolver").value_or(""),
            "resolved-by=env; trace=device:pass,fleet:pass,regional:pass,default:pass,"
            "env:resolved");
  const rapidjson::Document body = ParseJson(response.body);
  EXPECT_EQ(Keys(body["mqtt"]), (Strings{"username", "password", "broker", "topics", "failover",
                                         "reconnect", "refreshAfterSeconds", "configVersion"}));
  EXPECT_STREQ(body["mqtt"]["broker"].GetString(), "mqtt://env-broker.example.com:1884");
}

TEST_P(RegistrationApiTest, SameApiKeyIsAnIdempotentRetryAnotherIsAConflict) {
  AddFullBroker("primary", true);
  const std::string key = AddKey("fleet-a", 1);  // a retry must not need a second slot
  auto server = SwitchboardProcess::Start(ServeOptions(url()));
  const std::string uuid = NewUuid();

  const HttpResponse first = Register(server->port(), key, RegistrationBody(uuid));
  ASSERT_EQ(first.status, 200) << first.body;
  const HttpResponse retry = Register(server->port(), key, RegistrationBody(uuid));
  ASSERT_EQ(retry.status, 200) << retry.body;
  const rapidjson::Document a = ParseJson(first.body);
  const rapidjson::Document b = ParseJson(retry.body);
  EXPECT_EQ(a["id"].GetInt64(), b["id"].GetInt64());
  EXPECT_STREQ(a["createdAt"].GetString(), b["createdAt"].GetString());
  const std::string old_password = a["mqtt"]["password"].GetString();
  const std::string new_password = b["mqtt"]["password"].GetString();
  EXPECT_NE(old_password, new_password);
  EXPECT_EQ(KeyCounter(key), 1);
  EXPECT_EQ(Rows(), (RowCounts{1, 1, 1}));
  // The stored hash is the new password's; the old one no longer works.
  const std::string hash = QueryString("SELECT password_hash FROM mqtt_users");
  EXPECT_TRUE(VerifyMosquittoPassword(new_password, hash));
  EXPECT_FALSE(VerifyMosquittoPassword(old_password, hash));

  const HttpResponse conflict =
      Register(server->port(), key, RegistrationBody(uuid, "sensor", "another-device-api-key-42"));
  ExpectApiError(conflict, 409, "conflict");
  ExpectNoInternals(conflict.body);
  EXPECT_EQ(KeyCounter(key), 1);
  EXPECT_TRUE(VerifyMosquittoPassword(new_password, QueryString("SELECT password_hash FROM "
                                                                "mqtt_users")));
  // The key is now exhausted: a new device is refused, the retry still works.
  ExpectApiError(Register(server->port(), key, RegistrationBody(NewUuid())), 403, "forbidden");
  EXPECT_EQ(Register(server->port(), key, RegistrationBody(uuid)).status, 200);
  EXPECT_EQ(Rows(), (RowCounts{1, 1, 1}));
}

// A valid key of another fleet plus the device's own API key used to
// re-register the device and re-issue its MQTT password.
TEST_P(RegistrationApiTest, AKeyOfAnotherFleetNeverReRegistersADevice) {
  AddFullBroker("primary", true);
  const std::string key_a = AddKey("fleet-a");
  const std::string key_b = AddKey("fleet-b");
  auto server = SwitchboardProcess::Start(ServeOptions(url()));
  const std::string uuid = NewUuid();
  const HttpResponse first = Register(server->port(), key_a, RegistrationBody(uuid));
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string password = ParseJson(first.body)["mqtt"]["password"].GetString();

  for (const std::string& api_key :
       {std::string(testing::kDeviceApiKey), std::string("another-device-api-key-42")}) {
    const HttpResponse other =
        Register(server->port(), key_b, RegistrationBody(uuid, "x", api_key));
    EXPECT_NE(ExpectApiError(other, 403, "forbidden").find("another fleet"), std::string::npos);
    EXPECT_EQ(other.body.find("password"), std::string::npos) << other.body;
  }
  EXPECT_EQ(QueryString("SELECT fleet_id FROM devices"), "fleet-a");
  EXPECT_EQ(QueryString("SELECT device_name FROM devices"), "sensor");
  EXPECT_TRUE(VerifyMosquittoPassword(password, QueryString("SELECT password_hash FROM "
                                                            "mqtt_users")));
  EXPECT_EQ(KeyCounter(key_b), 0);
}

TEST_P(RegistrationApiTest, AnUnreadableExpiryRefusesTheKey) {
  AddFullBroker("primary", true);
  const std::string key = AddKey("fleet-a", -1, "not a date");
  auto server = SwitchboardProcess::Start(ServeOptions(url()));
  EXPECT_NE(
      ExpectApiError(Register(server->port(), key, RegistrationBody(NewUuid())), 403, "forbidden")
          .find("unreadable expiry"),
      std::string::npos);
  EXPECT_EQ(Rows(), (RowCounts{0, 0, 0}));
}

TEST_P(RegistrationApiTest, BadRequestsAre400AndWriteNothing) {
  AddFullBroker("primary", true);
  const std::string key = AddKey("fleet-a");
  auto server = SwitchboardProcess::Start(ServeOptions(url()));
  const std::string uuid = NewUuid();
  const std::string valid = RegistrationBody(uuid);
  const std::string rest =
      R"("deviceName":"n","deviceType":"t","deviceApiKey":"device-api-key-0123456789")";
  const std::string deep = std::string(200, '[') + std::string(200, ']');

  struct Case {
    std::string name, body, field;  // field: "" when the error names none
  };
  const std::vector<Case> cases = {
      {"malformed", R"({"uuid": "abc", )", ""},
      {"not an object", "[]", ""},
      {"empty body", "", ""},
      {"trailing garbage", valid + " {}", ""},
      {"trailing text", valid + "garbage", ""},
      {"200-deep nesting", R"({"uuid":)" + deep + "," + rest + "}", ""},
      {"invalid UTF-8",
       "{\"uuid\":\"" + uuid +
           "\",\"deviceName\":\"\xff\xfe\",\"deviceType\":"
           "\"t\",\"deviceApiKey\":\"device-api-key-0123456789\"}",
       ""},
      {"uuid is a number", R"({"uuid":123,)" + rest + "}", "uuid"},
      {"deviceName is a bool",
       R"({"uuid":")" + uuid + R"(","deviceName":true,"deviceType":"t","deviceApiKey":")" +
           testing::kDeviceApiKey + R"("})",
       "deviceName"},
      {"deviceApiKey is an object",
       R"({"uuid":")" + uuid + R"(","deviceName":"n","deviceType":"t","deviceApiKey":{}})",
       "deviceApiKey"},
      {"region is a number",
       testing::RegistrationBody(uuid, "n", testing::kDeviceApiKey, R"("region":5)"), "region"},
      {"missing uuid", "{" + rest + "}", "uuid"},
      {"missing deviceName",
       R"({"uuid":")" + uuid + R"(","deviceType":"t","deviceApiKey":"device-api-key-0123456789"})",
       "deviceName"},
      {"missing deviceType",
       R"({"uuid":")" + uuid + R"(","deviceName":"n","deviceApiKey":"device-api-key-0123456789"})",
       "deviceType"},
      {"missing deviceApiKey", R"({"uuid":")" + uuid + R"(","deviceName":"n","deviceType":"t"})",
       "deviceApiKey"},
      {"null uuid", R"({"uuid":null,)" + rest + "}", "uuid"},
      {"non-UUID uuid", RegistrationBody("not-a-uuid"), "uuid"},
      {"uuid without dashes", RegistrationBody("0123456789abcdef0123456789abcdef"), "uuid"},
      {"SQL in uuid", RegistrationBody("x'; DROP TABLE devices; --"), "uuid"},
      {"uuid with a non-hex digit", RegistrationBody("0123456z-89ab-cdef-0123-456789abcdef"),
       "uuid"},
      {"deviceApiKey of 15 characters", RegistrationBody(uuid, "n", "fifteen-chars-x"),
       "deviceApiKey"},
      {"empty deviceName", RegistrationBody(uuid, ""), "deviceName"},
      {"deviceName of 256 characters", RegistrationBody(uuid, std::string(256, 'n')), "deviceName"},
      {"duplicate member", R"({"uuid":")" + uuid + R"(","uuid":")" + uuid + R"(",)" + rest + "}",
       "uuid"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const HttpResponse response = Register(server->port(), key, c.body);
    ExpectApiError(response, 400, "invalid_request", c.field);
    ExpectNoInternals(response.body);
  }
  ExpectNothingWritten(key);
  // None of them left anything that would stop the real registration.
  EXPECT_EQ(Register(server->port(), key, valid).status, 200);
}

TEST_P(RegistrationApiTest, TooLongNameWritesNothingAndTheRetrySucceeds) {
  AddFullBroker("primary", true);
  const std::string key = AddKey("fleet-a");
  auto server = SwitchboardProcess::Start(ServeOptions(url()));
  const std::string uuid = NewUuid();

  // The TypeScript original created the device, then failed on the name,
  // and every retry got 409.
  const HttpResponse too_long =
      Register(server->port(), key, RegistrationBody(uuid, std::string(256, 'x')));
  ExpectApiError(too_long, 400, "invalid_request", "deviceName");
  ExpectNoInternals(too_long.body);
  ExpectNothingWritten(key);

  // 255 characters of two bytes each: the limit counts characters, as the
  // database's CHECK does.
  std::string name;
  for (int i = 0; i < 255; ++i) name += "\xc3\xa9";  // é
  const HttpResponse retry = Register(server->port(), key, RegistrationBody(uuid, name));
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(QueryString("SELECT device_name FROM devices"), name);
  EXPECT_EQ(Rows(), (RowCounts{1, 1, 1}));
  EXPECT_EQ(KeyCounter(key), 1);
}

TEST_P(RegistrationApiTest, MissingOrWrongProvisioningKeyIs401) {
  AddFullBroker("primary", true);
  const std::string key = AddKey("fleet-a");
  auto server = SwitchboardProcess::Start(ServeOptions(url()));
  const std::string body = RegistrationBody(NewUuid());

  const HttpResponse none = Register(server->port(), "", body);
  ExpectApiError(none, 401, "unauthorized");
  EXPECT_EQ(none.Header("WWW-Authenticate").value_or(""), "Bearer");
  const HttpResponse wrong = Register(server->port(), key + "x", body);
  ExpectApiError(wrong, 401, "unauthorized");
  EXPECT_EQ(wrong.Header("WWW-Authenticate").value_or(""), "Bearer");
  // Another scheme is no key at all.
  const HttpResponse basic =
      OneShot(server->port(), "POST", "/api/v1/device/register",
              {{"Content-Type", "application/json"}, {"Authorization", "Basic " + key}}, body);
  ExpectApiError(basic, 401, "unauthorized");
  // The admin token is not a provisioning key.
  ExpectApiError(Register(server->port(), testing::kTestAdminToken, body), 401, "unauthorized");
  for (const HttpResponse* r : {&none, &wrong, &basic}) ExpectNoInternals(r->body);
  ExpectNothingWritten(key);
}

TEST_P(RegistrationApiTest, RevokedExpiredAndExhaustedKeysAre403) {
  AddFullBroker("primary", true);
  const std::string revoked = AddKey("fleet-a", -1, "", false);
  const std::string expired = AddKey("fleet-a", -1, "2001-01-01T00:00:00.000Z");
  const std::string exhausted = AddKey("fleet-a", 0);
  auto server = SwitchboardProcess::Start(ServeOptions(url()));

  const std::string body = RegistrationBody(NewUuid());
  EXPECT_NE(
      ExpectApiError(Register(server->port(), revoked, body), 403, "forbidden").find("revoked"),
      std::string::npos);
  EXPECT_NE(
      ExpectApiError(Register(server->port(), expired, body), 403, "forbidden").find("expired"),
      std::string::npos);
  EXPECT_NE(
      ExpectApiError(Register(server->port(), exhausted, body), 403, "forbidden").find("exhausted"),
      std::string::npos);
  EXPECT_EQ(Rows(), (RowCounts{0, 0, 0}));
  EXPECT_EQ(Count("provisioning_keys", "devices_provisioned <> 0"), 0);
}

TEST_P(RegistrationApiTest, ChainRejectIs403AndWritesNothing) {
  AddFullBroker("primary", true);
  const std::string key = AddKey("fleet-a");
  auto options = ServeOptions(url());
  options.resolution_yaml = std::string("resolution:\n  plugin_dirs: [\"") +
                            SWITCHBOARD_PLUGIN_DIR + "\", \"" + SWITCHBOARD_TEST_PLUGIN_DIR +
                            "\"]\n  chain:\n    - plugin: device\n    - plugin: scripted\n"
                            "      params: {outcome: reject, reason: \"quarantined model\"}\n"
                            "    - plugin: default\n";
  auto server = SwitchboardProcess::Start(options);

  const HttpResponse response = Register(server->port(), key, RegistrationBody(NewUuid()));
  const std::string message = ExpectApiError(response, 403, "forbidden");
  EXPECT_NE(message.find("quarantined model"), std::string::npos) << message;
  EXPECT_NE(message.find("plugin/scripted"), std::string::npos) << message;
  EXPECT_EQ(response.Header("X-Switchboard-Resolver").value_or(""),
            "resolved-by=none; trace=device:pass,scripted:reject");
  ExpectNothingWritten(key);
  // Refusals count in the resolution metrics like successes.
  const std::string metrics = OneShot(server->port(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find(R"(switchboard_resolutions_total{plugin="scripted",outcome="reject"} 1)"),
            std::string::npos)
      << metrics;
}

TEST_P(RegistrationApiTest, NoBrokerIs503AndCommitsNothing) {
  const std::string key = AddKey("fleet-a");
  auto options = ServeOptions(url());
  options.resolution_yaml = std::string("resolution:\n  plugin_dirs: [\"") +
                            SWITCHBOARD_PLUGIN_DIR + "\"]\n  chain:\n    - plugin: env\n";
  auto server = SwitchboardProcess::Start(options);  // MQTT_BROKER_URL unset (fixture)

  const HttpResponse response = Register(server->port(), key, RegistrationBody(NewUuid()));
  const std::string message = ExpectApiError(response, 503, "unavailable");
  EXPECT_NE(message.find("no broker"), std::string::npos) << message;
  EXPECT_EQ(response.Header("X-Switchboard-Resolver").value_or(""),
            "resolved-by=none; trace=env:pass");
  ExpectNoInternals(response.body);
  ExpectNothingWritten(key);
}

TEST_P(RegistrationApiTest, FailingStepWithOnErrorFailIs503WithoutItsErrorText) {
  AddBroker("primary", {{"is_default", "1"}});
  const std::string key = AddKey("fleet-a");
  auto options = ServeOptions(url());
  options.resolution_yaml = std::string("resolution:\n  plugin_dirs: [\"") +
                            SWITCHBOARD_PLUGIN_DIR + "\", \"" + SWITCHBOARD_TEST_PLUGIN_DIR +
                            "\"]\n  chain:\n    - plugin: scripted\n"
                            "      params: {outcome: throw}\n      on_error: fail\n"
                            "    - plugin: default\n";
  auto server = SwitchboardProcess::Start(options);

  const HttpResponse response = Register(server->port(), key, RegistrationBody(NewUuid()));
  EXPECT_EQ(ExpectApiError(response, 503, "unavailable"),
            "no broker: resolution step plugin/scripted failed (on_error: fail)");
  // The step's own error text is for operators (explain, log), not devices.
  EXPECT_EQ(response.body.find("scripted failure"), std::string::npos) << response.body;
  EXPECT_NE(server->Log().find("scripted failure"), std::string::npos);
  EXPECT_EQ(response.Header("X-Switchboard-Resolver").value_or(""),
            "resolved-by=none; trace=scripted:error");
  ExpectNothingWritten(key);
}

TEST_P(RegistrationApiTest, OversizedBodyIs413AndClosesTheConnection) {
  AddBroker("primary", {{"is_default", "1"}});
  const std::string key = AddKey("fleet-a");
  auto server = SwitchboardProcess::Start(ServeOptions(url()));  // max_body_bytes: 65536

  auto connection = HttpConnection::Connect(server->port());
  // The head announces 70000 bytes; the server answers before reading them.
  connection->SendRaw(
      "POST /api/v1/device/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Authorization: Bearer " +
      key + "\r\nContent-Length: 70000\r\n\r\n" + std::string(1000, ' '));
  const HttpResponse response = connection->ReadResponse();
  ExpectApiError(response, 413, "payload_too_large");
  EXPECT_TRUE(connection->WaitForClose());
  ExpectNothingWritten(key);

  // The limit is inclusive: 65536 bytes are served, 65537 are not.
  std::string body = RegistrationBody(NewUuid());
  body.insert(body.size() - 1, std::string(65536 - body.size(), ' '));  // now 65536 bytes
  EXPECT_EQ(Register(server->port(), key, body).status, 200);
  auto over = HttpConnection::Connect(server->port());
  over->SendRaw(
      "POST /api/v1/device/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Authorization: Bearer " +
      key + "\r\nContent-Length: 65537\r\n\r\n");
  ExpectApiError(over->ReadResponse(), 413, "payload_too_large");
  EXPECT_EQ(Rows(), (RowCounts{1, 1, 1}));
}

TEST_P(RegistrationApiTest, NonJsonContentTypeIs415) {
  const std::string key = AddKey("fleet-a");
  auto server = SwitchboardProcess::Start(ServeOptions(url()));
  const HttpResponse response =
      OneShot(server->port(), "POST", "/api/v1/device/register",
              {{"Content-Type", "text/plain"}, {"Authorization", "Bearer " + key}},
              RegistrationBody(NewUuid()));
  ExpectApiError(response, 415, "unsupported_media_type");
  const HttpResponse form = OneShot(
      server->port(), "POST", "/api/v1/device/register",
      {{"Content-Type", "application/x-www-form-urlencoded"}, {"Authorization", "Bearer " + key}},
      "uuid=x");
  ExpectApiError(form, 415, "unsupported_media_type");
  // A charset parameter is fine (no broker here, so 503, but not 415).
  const HttpResponse charset = OneShot(
      server->port(), "POST", "/api/v1/device/register",
      {{"Content-Type", "application/json; charset=utf-8"}, {"Authorization", "Bearer " + key}},
      RegistrationBody(NewUuid()));
  EXPECT_EQ(charset.status, 503) << charset.body;
  ExpectNothingWritten(key);
}

SWITCHBOARD_BOTH_BACKENDS(RegistrationApiTest);

}  // namespace
}  // namespace switchboard::testing
