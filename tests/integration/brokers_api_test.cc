// /api/v1/mqtt/brokers over real HTTP against `switchboard serve`, on both
// backends: CRUD with exact fields, partial updates and null, every error
// status, default switching, the usage summary.
#include <gtest/gtest.h>

#include "api_test_support.h"
#include "test_certificates.h"

namespace switchboard::testing {
namespace {

constexpr char kBrokers[] = "/api/v1/mqtt/brokers";

const std::vector<std::string> kBrokerFields = {"id",
                                                "name",
                                                "description",
                                                "protocol",
                                                "host",
                                                "port",
                                                "path",
                                                "username",
                                                "has_password",
                                                "use_tls",
                                                "ca_cert",
                                                "client_cert",
                                                "has_client_key",
                                                "verify_certificate",
                                                "client_id_prefix",
                                                "keep_alive",
                                                "clean_session",
                                                "reconnect_period",
                                                "connect_timeout",
                                                "is_active",
                                                "is_default",
                                                "broker_type",
                                                "region",
                                                "weight",
                                                "has_extra_config",
                                                "created_at",
                                                "updated_at",
                                                "last_connected_at",
                                                "backup_broker_ids",
                                                "ca_certs",
                                                "ca_cert_expires_at",
                                                "ca_cert_expiring_soon"};

class BrokersApiTest : public ServedDatabaseTest {
 protected:
  std::string Item(std::int64_t id) const {
    return std::string(kBrokers) + "/" + std::to_string(id);
  }
  std::int64_t CreateBroker(const std::string& json) {
    const auto r = server_->Admin("POST", kBrokers, json);
    EXPECT_EQ(r.status, 201) << r.body;
    return Int(Json(r), "id");
  }
};

TEST_P(BrokersApiTest, CreateGetListUpdateDelete) {
  auto created = server_->Admin("POST", kBrokers, R"({"name":"eu-1","host":"mqtt.example.com"})");
  ASSERT_EQ(created.status, 201) << created.body;
  auto broker = Json(created);
  EXPECT_EQ(MemberNames(broker), kBrokerFields);
  const std::int64_t id = Int(broker, "id");
  EXPECT_GT(id, 0);
  EXPECT_EQ(created.Header("Location").value_or(""), Item(id));
  // Defaults (migrations/), NULL columns as null, no secrets set.
  EXPECT_EQ(String(broker, "name"), "eu-1");
  EXPECT_EQ(String(broker, "protocol"), "mqtt");
  EXPECT_EQ(Int(broker, "port"), 1883);
  EXPECT_EQ(Int(broker, "keep_alive"), 60);
  EXPECT_EQ(Int(broker, "reconnect_period"), 1000);
  EXPECT_EQ(Int(broker, "connect_timeout"), 30000);
  EXPECT_EQ(Int(broker, "weight"), 100);
  EXPECT_EQ(String(broker, "broker_type"), "local");
  EXPECT_FALSE(broker["use_tls"].GetBool());
  EXPECT_TRUE(broker["verify_certificate"].GetBool());
  EXPECT_TRUE(broker["clean_session"].GetBool());
  EXPECT_TRUE(broker["is_active"].GetBool());
  EXPECT_FALSE(broker["is_default"].GetBool());
  EXPECT_FALSE(broker["has_password"].GetBool());
  EXPECT_FALSE(broker["has_client_key"].GetBool());
  EXPECT_FALSE(broker["has_extra_config"].GetBool());
  for (const char* field : {"description", "path", "username", "ca_cert", "client_cert",
                            "client_id_prefix", "region", "last_connected_at"}) {
    EXPECT_TRUE(IsNull(broker, field)) << field;
  }

  const auto got = server_->Admin("GET", Item(id));
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, created.body);

  const auto list = server_->Admin("GET", kBrokers);
  ASSERT_EQ(list.status, 200);
  auto listed = Json(list);
  EXPECT_EQ(MemberNames(listed), (std::vector<std::string>{"brokers", "count"}));
  EXPECT_EQ(Int(listed, "count"), 1);
  ASSERT_EQ(listed["brokers"].Size(), 1u);
  EXPECT_EQ(MemberNames(listed["brokers"][0]), kBrokerFields);

  // Partial update: only the fields sent change.
  auto updated = server_->Admin(
      "PUT", Item(id),
      R"({"protocol":"mqtts","port":8883,"use_tls":true,"description":"Frankfurt","region":"eu"})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  broker = Json(updated);
  EXPECT_EQ(String(broker, "protocol"), "mqtts");
  EXPECT_EQ(Int(broker, "port"), 8883);
  EXPECT_TRUE(broker["use_tls"].GetBool());
  EXPECT_EQ(String(broker, "description"), "Frankfurt");
  EXPECT_EQ(String(broker, "region"), "eu");
  EXPECT_EQ(String(broker, "host"), "mqtt.example.com");
  EXPECT_EQ(String(broker, "name"), "eu-1");
  // null clears a nullable column; {} changes nothing.
  broker = Json(server_->Admin("PUT", Item(id), R"({"description":null})"));
  EXPECT_TRUE(IsNull(broker, "description"));
  EXPECT_EQ(String(broker, "region"), "eu");
  const auto unchanged = server_->Admin("PUT", Item(id), "{}");
  EXPECT_EQ(unchanged.status, 200);
  EXPECT_EQ(Int(Json(unchanged), "port"), 8883);

  const auto deleted = server_->Admin("DELETE", Item(id));
  EXPECT_EQ(deleted.status, 204);
  EXPECT_EQ(deleted.body, "");
  ExpectError(server_->Admin("GET", Item(id)), 404, "not_found");
  ExpectError(server_->Admin("PUT", Item(id), R"({"port":1})"), 404, "not_found");
  ExpectError(server_->Admin("DELETE", Item(id)), 404, "not_found");
  EXPECT_EQ(Int(Json(server_->Admin("GET", kBrokers)), "count"), 0);
}

TEST_P(BrokersApiTest, CreateAcceptsEveryColumn) {
  const auto r = server_->Admin("POST", kBrokers,
                                std::string(R"({
    "name":"ws-1","description":"d","protocol":"wss","host":"ws.example.com","port":443,
    "path":"/mqtt","username":"svc","use_tls":true,"ca_cert":)") +
                                    JsonQuoted(testing::kTestCaA) +
                                    R"(,
    "client_cert":"cert","verify_certificate":false,"client_id_prefix":"sb-","keep_alive":30,
    "clean_session":false,"reconnect_period":0,"connect_timeout":5000,"is_active":false,
    "is_default":false,"broker_type":"cloud","region":"us","weight":7,
    "extra_config":{"qos":1}})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto b = Json(r);
  EXPECT_EQ(String(b, "path"), "/mqtt");
  EXPECT_EQ(String(b, "username"), "svc");
  EXPECT_EQ(String(b, "ca_cert"), testing::kTestCaA);
  EXPECT_EQ(String(b, "client_cert"), "cert");
  EXPECT_EQ(String(b, "client_id_prefix"), "sb-");
  EXPECT_FALSE(b["verify_certificate"].GetBool());
  EXPECT_FALSE(b["clean_session"].GetBool());
  EXPECT_FALSE(b["is_active"].GetBool());
  EXPECT_EQ(Int(b, "keep_alive"), 30);
  EXPECT_EQ(Int(b, "reconnect_period"), 0);
  EXPECT_EQ(Int(b, "connect_timeout"), 5000);
  EXPECT_EQ(Int(b, "weight"), 7);
  EXPECT_EQ(String(b, "broker_type"), "cloud");
  EXPECT_TRUE(b["has_extra_config"].GetBool());
  // extra_config as JSON text in a string is accepted too; null clears it.
  const std::int64_t id = Int(b, "id");
  b = Json(server_->Admin("PUT", Item(id), R"({"extra_config":"{\"qos\":0}"})"));
  EXPECT_TRUE(b["has_extra_config"].GetBool());
  b = Json(server_->Admin("PUT", Item(id), R"({"extra_config":null})"));
  EXPECT_FALSE(b["has_extra_config"].GetBool());
}

TEST_P(BrokersApiTest, InvalidRequestsName400WithTheField) {
  const std::int64_t id = CreateBroker(R"({"name":"a","host":"h"})");
  struct Case {
    const char* body;
    const char* field;  // "" when the error is about the body as a whole
  };
  const Case cases[] = {
      {R"({"name":"b","host":"h")", ""},                     // malformed
      {R"({"name":"b","host":"h"} x)", ""},                  // trailing garbage
      {R"(["name"])", ""},                                   // not an object
      {R"({"host":"h"})", "name"},                           // missing
      {R"({"name":"b"})", "host"},                           // missing
      {R"({"name":"b","host":"h","port":"1883"})", "port"},  // wrong type
      {R"({"name":"b","host":"h","port":1.5})", "port"},     // not an integer
      {R"({"name":"b","host":"h","port":70000})", "port"},   // out of range
      {R"({"name":"b","host":"h","port":0})", "port"},       // out of range
      {R"({"name":"b","host":"h","keep_alive":0})", "keep_alive"},
      {R"({"name":"b","host":"h","connect_timeout":-1})", "connect_timeout"},
      {R"({"name":"b","host":"h","weight":0})", "weight"},
      {R"({"name":"b","host":"h","weight":99999999999})", "weight"},
      {R"({"name":"b","host":"h","protocol":"http"})", "protocol"},
      {R"({"name":"b","host":"h","broker_type":"moon"})", "broker_type"},
      {R"({"name":"b","host":"h","use_tls":"yes"})", "use_tls"},
      {R"({"name":"b","host":"bad host"})", "host"},
      {R"({"name":"","host":"h"})", "name"},
      {R"({"name":"b","host":"h","path":"mqtt"})", "path"},
      {R"({"name":"b","host":"h","extra_config":"{not json"})", "extra_config"},
      {R"({"name":"b","host":"h","extra_config":5})", "extra_config"},
      {R"({"name":"b","host":"h","colour":"red"})", "colour"},  // unknown field
      {R"({"name":"b","host":"h","id":9})", "id"},              // read-only
      {R"({"name":"b","host":"h","has_password":true})", "has_password"},
      {R"({"name":null,"host":"h"})", "name"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    ExpectError(AdminJson(*server_, "POST", kBrokers, c.body), 400, "invalid_request", c.field);
  }
  // PUT: the same checks, and null where the column cannot be NULL.
  for (const char* body : {R"({"port":null})", R"({"name":null})", R"({"use_tls":null})",
                           R"({"port":65536})", R"({"nope":1})"}) {
    SCOPED_TRACE(body);
    const auto r = AdminJson(*server_, "PUT", Item(id), body);
    EXPECT_EQ(r.status, 400) << r.body;
  }
  ExpectError(server_->Admin("PUT", Item(id), R"({"port":null})"), 400, "invalid_request", "port");
  ExpectError(AdminJson(*server_, "POST", kBrokers, ""), 400, "invalid_request");
  // A bad path id.
  ExpectError(server_->Admin("GET", std::string(kBrokers) + "/abc"), 400, "invalid_request", "id");
  ExpectError(server_->Admin("GET", std::string(kBrokers) + "/0"), 400, "invalid_request", "id");
  ExpectError(server_->Admin("GET", Item(999)), 404, "not_found");
  // Nothing was created by any of them.
  EXPECT_EQ(Int(Json(server_->Admin("GET", kBrokers)), "count"), 1);
}

TEST_P(BrokersApiTest, AuthMethodsAndMediaType) {
  const std::int64_t id = CreateBroker(R"({"name":"a","host":"h"})");
  ExpectAdminOnly(*server_, "GET", kBrokers);
  ExpectAdminOnly(*server_, "POST", kBrokers, R"({"name":"x","host":"h"})");
  ExpectAdminOnly(*server_, "GET", std::string(kBrokers) + "/summary");
  ExpectAdminOnly(*server_, "GET", Item(id));
  ExpectAdminOnly(*server_, "PUT", Item(id), R"({"port":1})");
  ExpectAdminOnly(*server_, "DELETE", Item(id));
  ExpectAdminOnly(*server_, "POST", Item(id) + "/test");
  EXPECT_EQ(server_->Admin("GET", Item(id)).status, 200);  // nothing was deleted

  const auto patch = AdminJson(*server_, "PATCH", Item(id), R"({"port":1})");
  ExpectError(patch, 405, "method_not_allowed");
  const std::string allow = patch.Header("Allow").value_or("");
  EXPECT_NE(allow.find("GET"), std::string::npos) << allow;
  EXPECT_NE(allow.find("PUT"), std::string::npos) << allow;
  EXPECT_NE(allow.find("DELETE"), std::string::npos) << allow;
  ExpectError(server_->Admin("DELETE", kBrokers), 405, "method_not_allowed");
  ExpectError(server_->Admin("POST", std::string(kBrokers) + "/summary", "{}"), 405,
              "method_not_allowed");
  ExpectError(server_->Admin("GET", Item(id) + "/test"), 405, "method_not_allowed");

  testing::Headers text = testing::AdminHeaders();
  text.push_back({"Content-Type", "text/plain"});
  ExpectError(OneShot(server_->port(), "POST", kBrokers, text, R"({"name":"x","host":"h"})"), 415,
              "unsupported_media_type");
  ExpectError(OneShot(server_->port(), "PUT", Item(id), testing::AdminHeaders(), R"({"port":1})"),
              415, "unsupported_media_type");
}

TEST_P(BrokersApiTest, ConflictsAnswer409) {
  const std::int64_t a = CreateBroker(R"({"name":"a","host":"h"})");
  const std::int64_t b = CreateBroker(R"({"name":"b","host":"h"})");
  ExpectError(server_->Admin("POST", kBrokers, R"({"name":"a","host":"other"})"), 409, "conflict");
  ExpectError(server_->Admin("PUT", Item(b), R"({"name":"a"})"), 409, "conflict");

  // In use by a fleet, then by a device: 409 until both are reassigned.
  ASSERT_EQ(server_
                ->Admin("POST", "/api/v1/fleets",
                        R"({"id":"f1","mqtt_broker_id":)" + std::to_string(a) + "}")
                .status,
            201);
  const auto in_use = server_->Admin("DELETE", Item(a));
  ExpectError(in_use, 409, "conflict");
  EXPECT_NE(in_use.body.find("1 fleet"), std::string::npos) << in_use.body;
  ASSERT_EQ(server_->Admin("PUT", "/api/v1/fleets/f1", R"({"mqtt_broker_id":null})").status, 200);

  server_->Admin("PUT", Item(b), R"({"is_default":true})");
  const std::string key = testing::CreateKey(*server_, "f1");
  const std::string uuid = testing::TestUuid(1);
  ASSERT_EQ(testing::Register(*server_, key, uuid).status, 200);
  ASSERT_EQ(server_
                ->Admin("PUT", "/api/v1/devices/" + uuid,
                        R"({"mqtt_broker_id":)" + std::to_string(a) + "}")
                .status,
            200);
  const auto device_use = server_->Admin("DELETE", Item(a));
  ExpectError(device_use, 409, "conflict");
  EXPECT_NE(device_use.body.find("1 device"), std::string::npos) << device_use.body;
  EXPECT_EQ(server_->Admin("GET", Item(a)).status, 200);
}

TEST_P(BrokersApiTest, MakingOneDefaultClearsTheOther) {
  const std::int64_t a = CreateBroker(R"({"name":"a","host":"h","is_default":true})");
  const std::int64_t b = CreateBroker(R"({"name":"b","host":"h","is_default":true})");
  auto defaults = [&] {
    std::vector<std::int64_t> ids;
    auto list = Json(server_->Admin("GET", kBrokers));
    for (const auto& broker : list["brokers"].GetArray()) {
      if (broker["is_default"].GetBool()) ids.push_back(broker["id"].GetInt64());
    }
    return ids;
  };
  EXPECT_EQ(defaults(), std::vector<std::int64_t>{b});
  const auto r = server_->Admin("PUT", Item(a), R"({"is_default":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Json(r)["is_default"].GetBool());
  EXPECT_EQ(defaults(), std::vector<std::int64_t>{a});
  server_->Admin("PUT", Item(a), R"({"is_default":false})");
  EXPECT_TRUE(defaults().empty());
}

TEST_P(BrokersApiTest, SummaryCountsDevicesAndFleetsPerBroker) {
  const std::int64_t a = CreateBroker(R"({"name":"a","host":"h","is_default":true})");
  const std::int64_t b = CreateBroker(R"({"name":"b","host":"h"})");
  server_->Admin("POST", "/api/v1/fleets",
                 R"({"id":"f1","mqtt_broker_id":)" + std::to_string(b) + "}");
  const std::string key = testing::CreateKey(*server_, "f2");
  for (int i = 1; i <= 3; ++i) {
    ASSERT_EQ(testing::Register(*server_, key, testing::TestUuid(i)).status, 200);
  }
  for (int i = 1; i <= 2; ++i) {
    server_->Admin("PUT", "/api/v1/devices/" + testing::TestUuid(i),
                   R"({"mqtt_broker_id":)" + std::to_string(b) + "}");
  }
  const auto r = server_->Admin("GET", std::string(kBrokers) + "/summary");
  ASSERT_EQ(r.status, 200) << r.body;
  auto summary = Json(r);
  EXPECT_EQ(MemberNames(summary), (std::vector<std::string>{"brokers", "count"}));
  EXPECT_EQ(Int(summary, "count"), 2);
  ASSERT_EQ(summary["brokers"].Size(), 2u);
  const auto& first = summary["brokers"][0];
  EXPECT_EQ(MemberNames(first),
            (std::vector<std::string>{"id", "name", "is_active", "is_default", "device_count",
                                      "fleet_count", "connected_count", "in_sync_count",
                                      "ca_cert_expires_at", "ca_cert_expiring_soon"}));
  EXPECT_EQ(Int(first, "id"), a);
  EXPECT_TRUE(first["is_default"].GetBool());
  EXPECT_EQ(Int(first, "device_count"), 0);  // explicit assignments only
  EXPECT_EQ(Int(first, "fleet_count"), 0);
  const auto& second = summary["brokers"][1];
  EXPECT_EQ(Int(second, "id"), b);
  EXPECT_EQ(String(second, "name"), "b");
  EXPECT_EQ(Int(second, "device_count"), 2);
  EXPECT_EQ(Int(second, "fleet_count"), 1);
}

SWITCHBOARD_BOTH_BACKENDS(BrokersApiTest);

}  // namespace
}  // namespace switchboard::testing
