// With `health.enabled: false` the device's answers and the broker reads are
// byte for byte what they were before health monitoring and failover
// existed, apart from the members those added. The expected documents are
// written here from the inputs (the brokers this test creates, the default
// topics, SPEC §4's member order) in the old format; the real answers, with
// the added members cut out of their text, must equal them exactly. Values
// only the server knows (ids, timestamps, the MQTT password) are read from
// the answer and checked for shape.
//
// The members cut out, and why they may differ: the device's `failover`,
// `reconnect`, `refreshAfterSeconds` and `configVersion` (docs/api.md), and
// on broker reads `backup_broker_ids`, `ca_certs`, `ca_cert_expires_at` and
// `ca_cert_expiring_soon`, which do not depend on health. `health` on a
// broker read is not cut: with monitoring off it must not be there.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api_test_support.h"
#include "test_certificates.h"

namespace switchboard {
namespace {

using testing::HttpResponse;
using testing::Int;
using testing::Json;
using testing::OneShot;
using testing::String;
using testing::SwitchboardProcess;

constexpr char kDeviceKey[] = "health-off-device-key-0123456789";

// A JSON string literal as RapidJSON writes it (the server's writer).
std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04X", static_cast<unsigned>(c));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string Bool(bool value) { return value ? "true" : "false"; }
std::string TextOrNull(const std::string& text) { return text.empty() ? "null" : Quote(text); }

// The top-level items of a compact JSON object's or array's text, each as
// its exact bytes (an object's as `"key":value`). A text that is not a
// compact object or array fails the test.
std::vector<std::string> RawItems(const std::string& text) {
  std::vector<std::string> items;
  if (text.size() < 2 || !((text.front() == '{' && text.back() == '}') ||
                           (text.front() == '[' && text.back() == ']'))) {
    ADD_FAILURE() << "not an object or array: " << text;
    return items;
  }
  if (text.size() == 2) return items;
  int depth = 0;
  std::size_t start = 1;
  for (std::size_t i = 1; i < text.size() - 1; ++i) {
    const char c = text[i];
    if (c == '"') {  // to the closing quote
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (c == ',' && depth == 0) {
      items.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  items.push_back(text.substr(start, text.size() - 1 - start));
  return items;
}

// The members of a compact JSON object's text: key and the exact bytes of
// the value.
std::vector<std::pair<std::string, std::string>> RawMembers(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> members;
  for (const std::string& item : RawItems(text)) {
    // Keys here are plain ASCII names: the first `":` ends the key.
    const std::size_t colon = item.find("\":");
    if (item.empty() || item.front() != '"' || colon == std::string::npos) {
      ADD_FAILURE() << "not a member: " << item;
      continue;
    }
    members.emplace_back(item.substr(1, colon - 1), item.substr(colon + 2));
  }
  return members;
}

// The object's text without the members named in `cut`, every other byte
// kept. Also returns the names cut, in their order.
std::string Without(const std::string& text, const std::vector<std::string>& cut,
                    std::vector<std::string>* cut_found = nullptr) {
  std::string out = "{";
  for (const auto& [key, value] : RawMembers(text)) {
    if (std::find(cut.begin(), cut.end(), key) != cut.end()) {
      if (cut_found != nullptr) cut_found->push_back(key);
      continue;
    }
    if (out.size() > 1) out += ',';
    out += Quote(key) + ":" + value;
  }
  return out + "}";
}

std::string RawMember(const std::string& text, const std::string& name) {
  for (const auto& [key, value] : RawMembers(text)) {
    if (key == name) return value;
  }
  ADD_FAILURE() << "no member " << name << " in " << text;
  return "";
}

const std::vector<std::string> kNewDeviceMembers = {"failover", "reconnect", "refreshAfterSeconds",
                                                    "configVersion"};
const std::vector<std::string> kNewBrokerMembers = {"backup_broker_ids", "ca_certs",
                                                    "ca_cert_expires_at", "ca_cert_expiring_soon"};

// Every writable field of a broker, set by the test.
struct BrokerInput {
  std::string name, description, protocol, host;
  int port = 0;
  std::string username, password;
  bool use_tls = false;
  std::string ca_cert, client_cert, client_key;
  bool verify_certificate = true;
  std::string client_id_prefix;
  int keep_alive = 60;
  bool clean_session = true;
  int reconnect_period = 1000, connect_timeout = 30000;
  bool is_default = false;
  std::string broker_type, region;
  int weight = 100;
  std::string extra_config;  // JSON text; "" for none
  std::string backups;       // backup_broker_ids, JSON list text
};

std::string CreateBody(const BrokerInput& b) {
  // Empty text fields are left out: the broker keeps its default.
  const auto text = [](const char* key, const std::string& value) {
    return value.empty() ? std::string() : std::string(",\"") + key + "\":" + Quote(value);
  };
  std::string body = "{\"name\":" + Quote(b.name) + text("description", b.description) +
                     ",\"protocol\":" + Quote(b.protocol) + ",\"host\":" + Quote(b.host) +
                     ",\"port\":" + std::to_string(b.port) + text("username", b.username) +
                     text("password", b.password) + ",\"use_tls\":" + Bool(b.use_tls);
  if (!b.ca_cert.empty()) body += ",\"ca_cert\":" + Quote(b.ca_cert);
  if (!b.client_cert.empty()) body += ",\"client_cert\":" + Quote(b.client_cert);
  if (!b.client_key.empty()) body += ",\"client_key\":" + Quote(b.client_key);
  body += ",\"verify_certificate\":" + Bool(b.verify_certificate) +
          text("client_id_prefix", b.client_id_prefix) +
          ",\"keep_alive\":" + std::to_string(b.keep_alive) +
          ",\"clean_session\":" + Bool(b.clean_session) +
          ",\"reconnect_period\":" + std::to_string(b.reconnect_period) +
          ",\"connect_timeout\":" + std::to_string(b.connect_timeout) +
          ",\"is_default\":" + Bool(b.is_default) + ",\"broker_type\":" + Quote(b.broker_type) +
          text("region", b.region) + ",\"weight\":" + std::to_string(b.weight);
  if (!b.extra_config.empty()) body += ",\"extra_config\":" + b.extra_config;
  if (!b.backups.empty()) body += ",\"backup_broker_ids\":" + b.backups;
  return body + "}";
}

// A broker read as it was before health existed (every column but the
// secrets, in table order). Server-made values come from `read`.
std::string OldBrokerRead(const BrokerInput& b, const rapidjson::Value& read) {
  return "{\"id\":" + std::to_string(Int(read, "id")) + ",\"name\":" + Quote(b.name) +
         ",\"description\":" + TextOrNull(b.description) + ",\"protocol\":" + Quote(b.protocol) +
         ",\"host\":" + Quote(b.host) + ",\"port\":" + std::to_string(b.port) +
         ",\"path\":null,\"username\":" + TextOrNull(b.username) +
         ",\"has_password\":" + Bool(!b.password.empty()) + ",\"use_tls\":" + Bool(b.use_tls) +
         ",\"ca_cert\":" + TextOrNull(b.ca_cert) + ",\"client_cert\":" + TextOrNull(b.client_cert) +
         ",\"has_client_key\":" + Bool(!b.client_key.empty()) +
         ",\"verify_certificate\":" + Bool(b.verify_certificate) +
         ",\"client_id_prefix\":" + TextOrNull(b.client_id_prefix) +
         ",\"keep_alive\":" + std::to_string(b.keep_alive) +
         ",\"clean_session\":" + Bool(b.clean_session) +
         ",\"reconnect_period\":" + std::to_string(b.reconnect_period) +
         ",\"connect_timeout\":" + std::to_string(b.connect_timeout) +
         ",\"is_active\":true,\"is_default\":" + Bool(b.is_default) +
         ",\"broker_type\":" + Quote(b.broker_type) + ",\"region\":" + TextOrNull(b.region) +
         ",\"weight\":" + std::to_string(b.weight) +
         ",\"has_extra_config\":" + Bool(!b.extra_config.empty()) +
         ",\"created_at\":" + Quote(String(read, "created_at")) +
         ",\"updated_at\":" + Quote(String(read, "updated_at")) + ",\"last_connected_at\":null}";
}

// The device's brokerConfig (core/src/domain/client_broker_config.h).
std::string BrokerConfig(const BrokerInput& b) {
  std::string out = "{\"protocol\":" + Quote(b.protocol) + ",\"host\":" + Quote(b.host) +
                    ",\"port\":" + std::to_string(b.port) + ",\"useTls\":" + Bool(b.use_tls) +
                    ",\"verifyCertificate\":" + Bool(b.verify_certificate) +
                    ",\"clientIdPrefix\":" + Quote(b.client_id_prefix) +
                    ",\"keepAlive\":" + std::to_string(b.keep_alive) +
                    ",\"cleanSession\":" + Bool(b.clean_session) +
                    ",\"reconnectPeriod\":" + std::to_string(b.reconnect_period) +
                    ",\"connectTimeout\":" + std::to_string(b.connect_timeout);
  if (!b.ca_cert.empty()) out += ",\"caCert\":" + Quote(b.ca_cert);
  if (!b.client_cert.empty()) out += ",\"clientCert\":" + Quote(b.client_cert);
  return out + "}";
}

std::string BrokerUrl(const BrokerInput& b) {
  return b.protocol + "://" + b.host + ":" + std::to_string(b.port);
}

// The device's `mqtt` object as it was (SPEC §4): username, the password
// (registration only), broker, brokerConfig, topics (the default templates).
std::string OldMqtt(const std::string& uuid, const std::string& password, const BrokerInput& b) {
  const std::string topic = Quote("iot/device/" + uuid + "/#");
  return "{\"username\":" + Quote("device_" + uuid) +
         (password.empty() ? "" : ",\"password\":" + Quote(password)) +
         ",\"broker\":" + Quote(BrokerUrl(b)) + ",\"brokerConfig\":" + BrokerConfig(b) +
         ",\"topics\":{\"publish\":[" + topic + "],\"subscribe\":[" + topic + "]}}";
}

class HealthOffResponsesTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto options = testing::ServeOptions(url());
    // Off, with the monitor's other keys present: they change nothing.
    options.extra_yaml =
        "health:\n  enabled: false\n  interval: 200ms\n  timeout: 100ms\n"
        "  unhealthy_threshold: 1\n";
    server_ = SwitchboardProcess::Start(options);

    b_.name = "backup-b";
    b_.description = "the backup";
    b_.protocol = "mqtt";
    b_.host = "b.example";
    b_.port = 1884;
    b_.username = "svc-b";
    b_.password = "server-side-secret-b";
    b_.client_id_prefix = "";
    b_.broker_type = "edge";
    b_.region = "eu-central";
    b_.weight = 7;

    // Every device-visible field away from its default, a TLS broker with a
    // CA and a client certificate. Its port has no listener: with health on
    // it would fail over; off, nothing watches it.
    a_.name = "primary-a";
    a_.description = "the \"primary\"";
    a_.protocol = "mqtts";
    a_.host = "127.0.0.1";
    a_.port = 1;
    a_.username = "svc-a";
    a_.password = "server-side-secret-a";
    a_.use_tls = true;
    a_.ca_cert = testing::kTestCaA;
    a_.client_cert = testing::kTestCaB;
    a_.client_key = "client-key-secret-a";
    a_.verify_certificate = false;
    a_.client_id_prefix = "sb-a-";
    a_.keep_alive = 45;
    a_.clean_session = false;
    a_.reconnect_period = 2500;
    a_.connect_timeout = 12000;
    a_.is_default = true;
    a_.broker_type = "cloud";
    a_.region = "eu-west";
    a_.weight = 250;
    a_.extra_config = R"({"note":"x"})";
  }

  HttpResponse Create(BrokerInput& input) {
    const HttpResponse r =
        testing::AdminJson(*server_, "POST", "/api/v1/mqtt/brokers", CreateBody(input));
    EXPECT_EQ(r.status, 201) << r.body;
    return r;
  }

  std::unique_ptr<SwitchboardProcess> server_;
  BrokerInput a_, b_;
};

TEST_P(HealthOffResponsesTest, DeviceAnswersAndBrokerReadsAreTheOldBytesPlusTheNewMembers) {
  const HttpResponse created_b = Create(b_);
  const std::int64_t b_id = Int(Json(created_b), "id");
  a_.backups = "[" + std::to_string(b_id) + "]";
  const HttpResponse created_a = Create(a_);
  const std::int64_t a_id = Int(Json(created_a), "id");

  // Broker reads: create, get, list.
  std::vector<std::string> cut;
  EXPECT_EQ(Without(created_a.body, kNewBrokerMembers, &cut), OldBrokerRead(a_, Json(created_a)));
  EXPECT_EQ(cut, kNewBrokerMembers);  // so the comparison is not vacuous
  const HttpResponse read_a = server_->Admin("GET", "/api/v1/mqtt/brokers/" + std::to_string(a_id));
  EXPECT_EQ(Without(read_a.body, kNewBrokerMembers), OldBrokerRead(a_, Json(read_a)));
  EXPECT_EQ(RawMember(read_a.body, "backup_broker_ids"), a_.backups);
  const HttpResponse list = server_->Admin("GET", "/api/v1/mqtt/brokers");
  const rapidjson::Document listed = Json(list);
  ASSERT_TRUE(listed["brokers"].IsArray() && listed["brokers"].Size() == 2) << list.body;
  const std::string items = RawMember(list.body, "brokers");
  std::string list_now = list.body;
  std::string items_now = "[";
  for (const std::string& item : RawItems(items)) {
    items_now += (items_now.size() > 1 ? "," : "") + Without(item, kNewBrokerMembers);
  }
  list_now.replace(list_now.find(items), items.size(), items_now + "]");
  EXPECT_EQ(list_now, "{\"brokers\":[" + OldBrokerRead(b_, listed["brokers"][0]) + "," +
                          OldBrokerRead(a_, listed["brokers"][1]) + "],\"count\":2}");

  // Registration (the default broker, A, resolves the device).
  const std::string uuid = testing::TestUuid(21);
  const std::string key = testing::CreateKey(*server_, "fleet-health-off");
  const HttpResponse registered = testing::Register(*server_, key, uuid, kDeviceKey);
  ASSERT_EQ(registered.status, 200) << registered.body;
  const rapidjson::Document reg = Json(registered);
  const std::string password = String(reg["mqtt"], "password");
  EXPECT_GE(password.size(), 22u);
  const std::string old_registration =
      "{\"id\":" + std::to_string(Int(reg, "id")) + ",\"uuid\":" + Quote(uuid) +
      ",\"deviceName\":\"dev\",\"deviceType\":\"pi\",\"fleetId\":\"fleet-health-off\"" +
      ",\"createdAt\":" + Quote(String(reg, "createdAt")) +
      ",\"mqtt\":" + OldMqtt(uuid, password, a_) + "}";
  const std::string reg_mqtt = RawMember(registered.body, "mqtt");
  std::string reg_now = registered.body;
  reg_now.replace(reg_now.find(reg_mqtt), reg_mqtt.size(), Without(reg_mqtt, kNewDeviceMembers));
  EXPECT_EQ(reg_now, old_registration);
  EXPECT_EQ(registered.Header("X-Switchboard-Resolver").value_or(""),
            "resolved-by=default; trace=device:pass,fleet:pass,regional:pass,default:resolved");
  EXPECT_EQ(registered.Header("Cache-Control").value_or(""), "no-store");

  // A's port refuses connections: a monitor probing every 200 ms would have
  // marked it unhealthy three times over by now, and the fetch would hand
  // out B. Off, nothing probes.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  const rapidjson::Document health =
      Json(server_->Admin("GET", "/api/v1/mqtt/brokers/" + std::to_string(a_id) + "/health"));
  EXPECT_FALSE(health["enabled"].GetBool());
  EXPECT_EQ(String(health, "state"), "unknown");
  EXPECT_TRUE(health["checks"].Empty());

  // The fetch, once pinned to A.
  ASSERT_EQ(testing::AdminJson(*server_, "PUT", "/api/v1/devices/" + uuid,
                               "{\"mqtt_broker_id\":" + std::to_string(a_id) + "}")
                .status,
            200);
  const HttpResponse fetched = OneShot(server_->port(), "GET", "/api/v1/device/" + uuid + "/mqtt",
                                       {{"X-Device-API-Key", kDeviceKey}});
  ASSERT_EQ(fetched.status, 200) << fetched.body;
  cut.clear();
  EXPECT_EQ(Without(fetched.body, kNewDeviceMembers, &cut), OldMqtt(uuid, "", a_));
  EXPECT_EQ(cut, kNewDeviceMembers);
  // The new members are what docs/api.md says: B in `failover`, unmoved.
  EXPECT_EQ(
      RawMember(fetched.body, "failover"),
      "[{\"broker\":" + Quote(BrokerUrl(b_)) + ",\"brokerConfig\":" + BrokerConfig(b_) + "}]");
  EXPECT_EQ(fetched.Header("X-Switchboard-Resolver").value_or(""),
            "resolved-by=device; trace=device:resolved");
  EXPECT_EQ(fetched.Header("Cache-Control").value_or(""), "no-store");

  // Explain: every endpoint unknown, no health step.
  const rapidjson::Document explain =
      Json(server_->Admin("GET", "/api/v1/devices/" + uuid + "/resolution"));
  ASSERT_TRUE(explain["endpoints"].IsArray());
  ASSERT_EQ(explain["endpoints"].Size(), 2u);
  EXPECT_EQ(String(explain["endpoints"][0], "health"), "unknown");
  EXPECT_EQ(String(explain["endpoints"][1], "health"), "unknown");
  const auto& trace = explain["trace"];
  EXPECT_EQ(String(trace[trace.Size() - 1], "plugin"), "device");

  for (const std::string& secret : {a_.password, a_.client_key, b_.password}) {
    EXPECT_EQ(fetched.body.find(secret), std::string::npos);
    EXPECT_EQ(read_a.body.find(secret), std::string::npos);
  }
}

SWITCHBOARD_BOTH_BACKENDS(HealthOffResponsesTest);

}  // namespace
}  // namespace switchboard
