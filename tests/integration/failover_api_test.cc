// Failover over the API, against the real binary on both backends:
// `backup_broker_ids` on brokers (writes, bad input, deletes), the device's
// endpoint list in `failover`, the new response fields, configVersion (when
// it changes and when it must not) and the fetch's ETag / If-None-Match.
#include <gtest/gtest.h>

#include <set>

#include "api_test_support.h"

namespace switchboard {
namespace {

using testing::AdminJson;
using testing::ExpectError;
using testing::HttpResponse;
using testing::Int;
using testing::Json;
using testing::MemberNames;
using testing::OneShot;
using testing::String;

constexpr char kApiKey[] = "device-api-key-0123456789";

class FailoverApiTest : public testing::ServedDatabaseTest {
 protected:
  std::int64_t CreateBroker(const std::string& name, const std::string& extra = "") {
    const HttpResponse r =
        server_->Admin("POST", "/api/v1/mqtt/brokers",
                       R"({"name":")" + name + R"(","host":")" + name + R"(.example")" +
                           (extra.empty() ? "" : "," + extra) + "}");
    EXPECT_EQ(r.status, 201) << r.body;
    return Int(Json(r), "id");
  }
  HttpResponse UpdateBroker(std::int64_t id, const std::string& body) {
    return AdminJson(*server_, "PUT", "/api/v1/mqtt/brokers/" + std::to_string(id), body);
  }
  std::vector<std::int64_t> Backups(std::int64_t id) {
    const rapidjson::Document broker =
        Json(server_->Admin("GET", "/api/v1/mqtt/brokers/" + std::to_string(id)));
    std::vector<std::int64_t> out;
    if (!broker.HasMember("backup_broker_ids") || !broker["backup_broker_ids"].IsArray()) {
      ADD_FAILURE() << "no backup_broker_ids list";
      return out;
    }
    for (const auto& v : broker["backup_broker_ids"].GetArray()) out.push_back(v.GetInt64());
    return out;
  }
  // Registers a device (the default broker resolves it) and pins it to
  // `broker` when not 0; returns its uuid and the registration response.
  HttpResponse RegisterDevice(int n, std::int64_t broker = 0) {
    if (key_.empty()) key_ = testing::CreateKey(*server_, "fleet-failover");
    const HttpResponse r = testing::Register(*server_, key_, testing::TestUuid(n), kApiKey);
    EXPECT_EQ(r.status, 200) << r.body;
    if (broker != 0) Assign(n, broker);
    return r;
  }
  void Assign(int n, std::int64_t broker) {
    const HttpResponse r = AdminJson(*server_, "PUT", "/api/v1/devices/" + testing::TestUuid(n),
                                     R"({"mqtt_broker_id":)" + std::to_string(broker) + "}");
    EXPECT_EQ(r.status, 200) << r.body;
  }
  HttpResponse Fetch(int n, const std::string& if_none_match = "") {
    testing::Headers headers = {{"X-Device-API-Key", kApiKey}};
    if (!if_none_match.empty()) headers.push_back({"If-None-Match", if_none_match});
    return OneShot(server_->port(), "GET", "/api/v1/device/" + testing::TestUuid(n) + "/mqtt",
                   headers);
  }
  std::string Version(int n) {
    const HttpResponse r = Fetch(n);
    EXPECT_EQ(r.status, 200) << r.body;
    return String(Json(r), "configVersion");
  }

  std::string key_;
};

TEST_P(FailoverApiTest, BackupsAreWrittenInOrderAndReadBack) {
  const std::int64_t a = CreateBroker("a");
  const std::int64_t b = CreateBroker("b");
  const std::int64_t c = CreateBroker("c", R"("backup_broker_ids":[)" + std::to_string(a) + "]");
  EXPECT_EQ(Backups(c), std::vector<std::int64_t>{a});
  EXPECT_TRUE(Backups(a).empty());
  const HttpResponse r = UpdateBroker(
      a, R"({"backup_broker_ids":[)" + std::to_string(c) + "," + std::to_string(b) + "]}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Backups(a), (std::vector<std::int64_t>{c, b}));
  // A cycle (a → c → a) is allowed: the endpoint list flattens it once.
  EXPECT_EQ(Backups(c), std::vector<std::int64_t>{a});
  // null and [] clear.
  ASSERT_EQ(UpdateBroker(a, R"({"backup_broker_ids":null})").status, 200);
  EXPECT_TRUE(Backups(a).empty());
  ASSERT_EQ(UpdateBroker(c, R"({"backup_broker_ids":[]})").status, 200);
  EXPECT_TRUE(Backups(c).empty());
}

TEST_P(FailoverApiTest, BadBackupsAre400NamingTheFieldAndWriteNothing) {
  const std::int64_t a = CreateBroker("a");
  const std::int64_t b = CreateBroker("b");
  ASSERT_EQ(UpdateBroker(a, R"({"backup_broker_ids":[)" + std::to_string(b) + "]}").status, 200);
  const std::string self = std::to_string(a);
  for (const std::string& bad : std::vector<std::string>{
           std::string(R"({"backup_broker_ids":[999]})"),  // unknown
           R"({"backup_broker_ids":[)" + self + "]}",      // itself
           R"({"backup_broker_ids":"2"})",                 // not a list
           std::string(R"({"backup_broker_ids":["x"]})"),  // not integers
           std::string(R"({"backup_broker_ids":[1.5]})"),  // not integers
           std::string(R"({"backup_broker_ids":[0]})"),    // not an id
           std::string(R"({"backup_broker_ids":[-3]})"),   // not an id
           R"({"backup_broker_ids":[)" + std::to_string(b) + "," + std::to_string(b) + "]}",
           R"({"port":1884,"backup_broker_ids":[999]})",  // nothing else is written either
       }) {
    SCOPED_TRACE(bad);
    ExpectError(UpdateBroker(a, bad), 400, "invalid_request", "backup_broker_ids");
    EXPECT_EQ(Backups(a), std::vector<std::int64_t>{b});
    EXPECT_EQ(Int(Json(server_->Admin("GET", "/api/v1/mqtt/brokers/" + self)), "port"), 1883);
  }
  // On create too, and no broker is created.
  ExpectError(AdminJson(*server_, "POST", "/api/v1/mqtt/brokers",
                        R"({"name":"c","host":"c.example","backup_broker_ids":[999]})"),
              400, "invalid_request", "backup_broker_ids");
  EXPECT_EQ(Int(Json(server_->Admin("GET", "/api/v1/mqtt/brokers")), "count"), 2);
}

TEST_P(FailoverApiTest, ADeletedBrokerLeavesEveryBackupList) {
  const std::int64_t a = CreateBroker("a");
  const std::int64_t b = CreateBroker("b");
  const std::int64_t c = CreateBroker("c");
  const std::string bc = std::to_string(b) + "," + std::to_string(c);
  ASSERT_EQ(UpdateBroker(a, R"({"backup_broker_ids":[)" + bc + "]}").status, 200);
  ASSERT_EQ(UpdateBroker(b, R"({"backup_broker_ids":[)" + std::to_string(c) + "]}").status, 200);
  const HttpResponse deleted =
      server_->Admin("DELETE", "/api/v1/mqtt/brokers/" + std::to_string(c));
  EXPECT_EQ(deleted.status, 204) << deleted.body;
  EXPECT_EQ(Backups(a), std::vector<std::int64_t>{b});
  EXPECT_TRUE(Backups(b).empty());
}

TEST_P(FailoverApiTest, TheFetchHandsOutTheEndpointListAndTheNewFields) {
  const std::int64_t a = CreateBroker("a", R"("is_default":true)");
  const std::int64_t b = CreateBroker("b", R"("port":1884)");
  const std::int64_t c = CreateBroker("c", R"("is_active":false)");
  const std::int64_t d = CreateBroker("d");
  ASSERT_EQ(UpdateBroker(
                a, R"({"backup_broker_ids":[)" + std::to_string(c) + "," + std::to_string(b) + "]}")
                .status,
            200);
  ASSERT_EQ(UpdateBroker(
                b, R"({"backup_broker_ids":[)" + std::to_string(d) + "," + std::to_string(a) + "]}")
                .status,
            200);
  const HttpResponse registered = RegisterDevice(1);
  const HttpResponse r = Fetch(1);
  ASSERT_EQ(r.status, 200) << r.body;
  const rapidjson::Document body = Json(r);
  EXPECT_EQ(MemberNames(body),
            (std::vector<std::string>{"username", "broker", "brokerConfig", "topics", "failover",
                                      "reconnect", "refreshAfterSeconds", "configVersion"}));
  EXPECT_EQ(String(body, "broker"), "mqtt://a.example:1883");
  // c is inactive; d is b's backup (backups of backups); a appears once.
  ASSERT_TRUE(body["failover"].IsArray());
  ASSERT_EQ(body["failover"].Size(), 2u) << r.body;
  EXPECT_EQ(String(body["failover"][0], "broker"), "mqtt://b.example:1884");
  EXPECT_EQ(Int(body["failover"][0]["brokerConfig"], "port"), 1884);
  EXPECT_EQ(String(body["failover"][1], "broker"), "mqtt://d.example:1883");
  const rapidjson::Value& reconnect = body["reconnect"];
  EXPECT_EQ(Int(reconnect, "initialDelayMs"), 1000);
  EXPECT_EQ(Int(reconnect, "maxDelayMs"), 120000);
  ASSERT_TRUE(reconnect["jitter"].IsNumber());
  EXPECT_DOUBLE_EQ(reconnect["jitter"].GetDouble(), 0.25);
  EXPECT_EQ(Int(reconnect, "attemptsPerEndpoint"), 3);
  EXPECT_EQ(Int(reconnect, "failbackAfterSeconds"), 300);
  EXPECT_EQ(Int(body, "refreshAfterSeconds"), 300);
  const std::string version = String(body, "configVersion");
  EXPECT_EQ(version.size(), 32u);
  EXPECT_EQ(version.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(r.Header("ETag").value_or(""), "\"" + version + "\"");
  // Registration tells the same, password aside, with the same version.
  const rapidjson::Document reg = Json(registered);
  EXPECT_EQ(
      MemberNames(reg["mqtt"]),
      (std::vector<std::string>{"username", "password", "broker", "brokerConfig", "topics",
                                "failover", "reconnect", "refreshAfterSeconds", "configVersion"}));
  EXPECT_EQ(String(reg["mqtt"], "configVersion"), version);
  // Explain shows the same list with each endpoint's health.
  const rapidjson::Document explain =
      Json(server_->Admin("GET", "/api/v1/devices/" + testing::TestUuid(1) + "/resolution"));
  ASSERT_TRUE(explain["endpoints"].IsArray());
  ASSERT_EQ(explain["endpoints"].Size(), 3u);
  EXPECT_EQ(Int(explain["endpoints"][0], "id"), a);
  EXPECT_EQ(Int(explain["endpoints"][1], "id"), b);
  EXPECT_EQ(Int(explain["endpoints"][2], "id"), d);
  EXPECT_EQ(String(explain["endpoints"][0], "health"), "unknown");
}

TEST_P(FailoverApiTest, IfNoneMatchAnswers304OnlyForTheCurrentVersion) {
  CreateBroker("a", R"("is_default":true)");
  RegisterDevice(1);
  const std::string version = Version(1);
  const std::string tag = "\"" + version + "\"";
  for (const std::string& matching : {tag, "W/" + tag, "\"other\", " + tag, "W/\"x\",W/" + tag,
                                      std::string("*"), "  " + tag + "  "}) {
    SCOPED_TRACE(matching);
    const HttpResponse r = Fetch(1, matching);
    EXPECT_EQ(r.status, 304) << r.body;
    EXPECT_EQ(r.body, "");
    EXPECT_EQ(r.Header("ETag").value_or(""), tag);
  }
  for (const std::string& other :
       {std::string("\"other\""), version, "W/\"" + version.substr(1) + "\"", std::string(","),
        std::string("\"unterminated"), "\"" + version + "x\""}) {
    SCOPED_TRACE(other);
    const HttpResponse r = Fetch(1, other);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(String(Json(r), "configVersion"), version);
  }
  // A wrong key is still 401, whatever the tag.
  const HttpResponse wrong =
      OneShot(server_->port(), "GET", "/api/v1/device/" + testing::TestUuid(1) + "/mqtt",
              {{"X-Device-API-Key", "wrong-device-key-0123456789"}, {"If-None-Match", "*"}});
  EXPECT_EQ(wrong.status, 401);
}

TEST_P(FailoverApiTest, ConfigVersionChangesExactlyWhenWhatTheDeviceSeesChanges) {
  const std::int64_t a = CreateBroker("a", R"("is_default":true)");
  const std::int64_t b = CreateBroker("b");
  RegisterDevice(1);
  RegisterDevice(2);
  std::string v1 = Version(1);
  const std::string other_device = Version(2);
  EXPECT_NE(v1, other_device);  // the username and topics differ

  // Not seen by the device: the broker's name, its server-side password, an
  // unrelated broker, re-registration (a new MQTT password).
  ASSERT_EQ(UpdateBroker(a, R"({"name":"a-renamed","password":"server-secret"})").status, 200);
  ASSERT_EQ(UpdateBroker(b, R"({"port":1999})").status, 200);
  EXPECT_EQ(testing::Register(*server_, key_, testing::TestUuid(1), kApiKey).status, 200);
  EXPECT_EQ(Version(1), v1);

  // Seen: a field of its broker.
  ASSERT_EQ(UpdateBroker(a, R"({"keep_alive":30})").status, 200);
  std::string v2 = Version(1);
  EXPECT_NE(v2, v1);
  // Seen: a backup appears in `failover`.
  ASSERT_EQ(UpdateBroker(a, R"({"backup_broker_ids":[)" + std::to_string(b) + "]}").status, 200);
  std::string v3 = Version(1);
  EXPECT_NE(v3, v2);
  // Seen: a field of a failover endpoint.
  ASSERT_EQ(UpdateBroker(b, R"({"port":2000})").status, 200);
  std::string v4 = Version(1);
  EXPECT_NE(v4, v3);
  // Seen: reassignment.
  Assign(1, b);
  EXPECT_NE(Version(1), v4);
  // And back: the same view gives the same version.
  ASSERT_EQ(AdminJson(*server_, "PUT", "/api/v1/devices/" + testing::TestUuid(1),
                      R"({"mqtt_broker_id":null})")
                .status,
            200);
  EXPECT_EQ(Version(1), v4);
}

SWITCHBOARD_BOTH_BACKENDS(FailoverApiTest);

}  // namespace
}  // namespace switchboard
