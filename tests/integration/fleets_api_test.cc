// /api/v1/fleets over real HTTP against `switchboard serve`, on both
// backends.
#include <gtest/gtest.h>

#include "api_test_support.h"

namespace switchboard::testing {
namespace {

const std::vector<std::string> kFleetFields = {"id",           "name",       "mqtt_broker_id",
                                               "device_count", "created_at", "updated_at"};

class FleetsApiTest : public ServedDatabaseTest {};

TEST_P(FleetsApiTest, CreateGetListUpdateDelete) {
  const std::int64_t broker = testing::CreateDefaultBroker(*server_);
  const auto created =
      server_->Admin("POST", "/api/v1/fleets", R"({"id":"f1","name":"Fleet one"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.Header("Location").value_or(""), "/api/v1/fleets/f1");
  auto fleet = Json(created);
  EXPECT_EQ(MemberNames(fleet), kFleetFields);
  EXPECT_EQ(String(fleet, "id"), "f1");
  EXPECT_EQ(String(fleet, "name"), "Fleet one");
  EXPECT_TRUE(IsNull(fleet, "mqtt_broker_id"));
  EXPECT_EQ(Int(fleet, "device_count"), 0);
  EXPECT_NE(String(fleet, "created_at"), "<none>");

  // The name defaults to the id; a broker may be given at creation.
  fleet = Json(server_->Admin("POST", "/api/v1/fleets",
                              R"({"id":"f2","mqtt_broker_id":)" + std::to_string(broker) + "}"));
  EXPECT_EQ(String(fleet, "name"), "f2");
  EXPECT_EQ(Int(fleet, "mqtt_broker_id"), broker);

  const auto got = server_->Admin("GET", "/api/v1/fleets/f1");
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, created.body);
  auto list = Json(server_->Admin("GET", "/api/v1/fleets"));
  EXPECT_EQ(MemberNames(list), (std::vector<std::string>{"fleets", "count"}));
  EXPECT_EQ(Int(list, "count"), 2);
  ASSERT_EQ(list["fleets"].Size(), 2u);
  EXPECT_EQ(String(list["fleets"][0], "id"), "f1");
  EXPECT_EQ(MemberNames(list["fleets"][1]), kFleetFields);

  // Partial updates: set, rename, clear with null.
  fleet = Json(server_->Admin("PUT", "/api/v1/fleets/f1",
                              R"({"mqtt_broker_id":)" + std::to_string(broker) + "}"));
  EXPECT_EQ(Int(fleet, "mqtt_broker_id"), broker);
  EXPECT_EQ(String(fleet, "name"), "Fleet one");
  fleet = Json(server_->Admin("PUT", "/api/v1/fleets/f1", R"({"name":"Renamed","id":"f1"})"));
  EXPECT_EQ(String(fleet, "name"), "Renamed");
  EXPECT_EQ(Int(fleet, "mqtt_broker_id"), broker);
  fleet = Json(server_->Admin("PUT", "/api/v1/fleets/f1", R"({"mqtt_broker_id":null})"));
  EXPECT_TRUE(IsNull(fleet, "mqtt_broker_id"));

  // Deleting a fleet deletes its provisioning keys, and says how many.
  testing::CreateKey(*server_, "f1");
  const auto deleted = server_->Admin("DELETE", "/api/v1/fleets/f1");
  EXPECT_EQ(deleted.status, 204);
  EXPECT_EQ(deleted.body, "");
  EXPECT_EQ(deleted.Header("X-Deleted-Provisioning-Keys").value_or(""), "1");
  ExpectError(server_->Admin("GET", "/api/v1/fleets/f1"), 404, "not_found");
  ExpectError(server_->Admin("PUT", "/api/v1/fleets/f1", R"({"name":"x"})"), 404, "not_found");
  ExpectError(server_->Admin("DELETE", "/api/v1/fleets/f1"), 404, "not_found");
  EXPECT_EQ(Int(Json(server_->Admin("GET", "/api/v1/fleets")), "count"), 1);
}

TEST_P(FleetsApiTest, InvalidRequestsAndConflicts) {
  ASSERT_EQ(server_->Admin("POST", "/api/v1/fleets", R"({"id":"f1"})").status, 201);
  struct Case {
    const char* body;
    const char* field;
  };
  const Case cases[] = {
      {R"({"id":"f2")", ""},
      {R"({})", "id"},
      {R"({"name":"no id"})", "id"},
      {R"({"id":"has space"})", "id"},
      {R"({"id":""})", "id"},
      {R"({"id":7})", "id"},
      {R"({"id":"f2","name":""})", "name"},
      {R"({"id":"f2","name":null})", "name"},
      {R"({"id":"f2","mqtt_broker_id":"1"})", "mqtt_broker_id"},
      {R"({"id":"f2","mqtt_broker_id":999})", "mqtt_broker_id"},
      {R"({"id":"f2","colour":"red"})", "colour"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    ExpectError(AdminJson(*server_, "POST", "/api/v1/fleets", c.body), 400, "invalid_request",
                c.field);
  }
  ExpectError(server_->Admin("PUT", "/api/v1/fleets/f1", R"({"id":"other"})"), 400,
              "invalid_request", "id");
  ExpectError(server_->Admin("PUT", "/api/v1/fleets/f1", R"({"mqtt_broker_id":12})"), 400,
              "invalid_request", "mqtt_broker_id");
  ExpectError(server_->Admin("PUT", "/api/v1/fleets/f1", R"({"device_count":3})"), 400,
              "invalid_request", "device_count");
  EXPECT_EQ(Int(Json(server_->Admin("GET", "/api/v1/fleets")), "count"), 1);

  ExpectError(server_->Admin("POST", "/api/v1/fleets", R"({"id":"f1"})"), 409, "conflict");
  // A fleet with devices cannot be deleted.
  testing::CreateDefaultBroker(*server_);
  const std::string key = testing::CreateKey(*server_, "f1");
  ASSERT_EQ(testing::Register(*server_, key, testing::TestUuid(1)).status, 200);
  EXPECT_EQ(Int(Json(server_->Admin("GET", "/api/v1/fleets/f1")), "device_count"), 1);
  const auto in_use = server_->Admin("DELETE", "/api/v1/fleets/f1");
  ExpectError(in_use, 409, "conflict");
  EXPECT_NE(in_use.body.find("1 device"), std::string::npos) << in_use.body;
  EXPECT_EQ(server_->Admin("GET", "/api/v1/fleets/f1").status, 200);
}

TEST_P(FleetsApiTest, AuthMethodsAndMediaType) {
  ASSERT_EQ(server_->Admin("POST", "/api/v1/fleets", R"({"id":"f1"})").status, 201);
  ExpectAdminOnly(*server_, "GET", "/api/v1/fleets");
  ExpectAdminOnly(*server_, "POST", "/api/v1/fleets", R"({"id":"f9"})");
  ExpectAdminOnly(*server_, "GET", "/api/v1/fleets/f1");
  ExpectAdminOnly(*server_, "PUT", "/api/v1/fleets/f1", R"({"name":"x"})");
  ExpectAdminOnly(*server_, "DELETE", "/api/v1/fleets/f1");
  EXPECT_EQ(String(Json(server_->Admin("GET", "/api/v1/fleets/f1")), "name"), "f1");

  ExpectError(AdminJson(*server_, "PATCH", "/api/v1/fleets/f1", R"({"name":"x"})"), 405,
              "method_not_allowed");
  ExpectError(server_->Admin("DELETE", "/api/v1/fleets"), 405, "method_not_allowed");
  testing::Headers text = testing::AdminHeaders();
  text.push_back({"Content-Type", "text/plain"});
  ExpectError(OneShot(server_->port(), "POST", "/api/v1/fleets", text, R"({"id":"f2"})"), 415,
              "unsupported_media_type");
  ExpectError(OneShot(server_->port(), "PUT", "/api/v1/fleets/f1", text, R"({"name":"x"})"), 415,
              "unsupported_media_type");
}

SWITCHBOARD_BOTH_BACKENDS(FleetsApiTest);

}  // namespace
}  // namespace switchboard::testing
