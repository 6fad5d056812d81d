// /api/v1/devices (operator side) over real HTTP against `switchboard
// serve`, on both backends.
#include <gtest/gtest.h>

#include "api_test_support.h"

namespace switchboard::testing {
namespace {

const std::vector<std::string> kDeviceFields = {
    "id",          "uuid",       "device_name",    "device_type",
    "fleet_id",    "region",     "mqtt_broker_id", "provisioned_by_key_id",
    "mac_address", "os_version", "agent_version",  "created_at",
    "updated_at"};

class DevicesApiTest : public ServedDatabaseTest {
 protected:
  void SetUp() override {
    ServedDatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    default_broker_ = testing::CreateDefaultBroker(*server_);
    key_ = testing::CreateKey(*server_, "f1");
  }
  void RegisterDevices(int count) {
    for (int i = 1; i <= count; ++i) {
      ASSERT_EQ(testing::Register(*server_, key_, TestUuid(i)).status, 200);
    }
  }
  std::string Item(int n) const { return "/api/v1/devices/" + TestUuid(n); }
  std::int64_t default_broker_ = 0;
  std::string key_;
};

TEST_P(DevicesApiTest, GetShowsTheRowWithoutTheApiKeyHash) {
  const std::string body =
      R"({"uuid":")" + TestUuid(1) + R"(","deviceName":"Pump 1","deviceType":"pi4",)" +
      R"("deviceApiKey":"device-api-key-0123456789","region":"eu","macAddress":"aa:bb",)" +
      R"("osVersion":"12","agentVersion":"1.2.3"})";
  const auto registered =
      OneShot(server_->port(), "POST", "/api/v1/device/register",
              {{"Authorization", "Bearer " + key_}, {"Content-Type", "application/json"}}, body);
  ASSERT_EQ(registered.status, 200) << registered.body;

  const auto r = server_->Admin("GET", Item(1));
  ASSERT_EQ(r.status, 200) << r.body;
  auto device = Json(r);
  // A single device read adds its last state report (null until it reports).
  std::vector<std::string> with_report = kDeviceFields;
  with_report.push_back("reported");
  EXPECT_EQ(MemberNames(device), with_report);
  EXPECT_TRUE(device["reported"].IsNull());
  EXPECT_EQ(Int(device, "id"), Int(Json(registered), "id"));
  EXPECT_EQ(String(device, "uuid"), TestUuid(1));
  EXPECT_EQ(String(device, "device_name"), "Pump 1");
  EXPECT_EQ(String(device, "device_type"), "pi4");
  EXPECT_EQ(String(device, "fleet_id"), "f1");
  EXPECT_EQ(String(device, "region"), "eu");
  EXPECT_TRUE(IsNull(device, "mqtt_broker_id"));
  EXPECT_GT(Int(device, "provisioned_by_key_id"), 0);
  EXPECT_EQ(String(device, "mac_address"), "aa:bb");
  EXPECT_EQ(String(device, "os_version"), "12");
  EXPECT_EQ(String(device, "agent_version"), "1.2.3");
  EXPECT_EQ(r.body.find("api_key"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("device-api-key-0123456789"), std::string::npos) << r.body;

  // Looked up case-insensitively.
  std::string upper = TestUuid(1);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(server_->Admin("GET", "/api/v1/devices/" + upper).body, r.body);
  ExpectError(server_->Admin("GET", Item(99)), 404, "not_found");
}

TEST_P(DevicesApiTest, UpdateAssignsAndClears) {
  RegisterDevices(1);
  const auto other = server_->Admin("POST", "/api/v1/mqtt/brokers",
                                    R"({"name":"other","host":"other.example.com"})");
  const std::int64_t broker = Int(Json(other), "id");
  ASSERT_EQ(server_->Admin("POST", "/api/v1/fleets", R"({"id":"f2"})").status, 201);

  auto r = server_->Admin("PUT", Item(1),
                          R"({"mqtt_broker_id":)" + std::to_string(broker) +
                              R"(,"region":"us","fleet_id":"f2","device_name":"Renamed"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto device = Json(r);
  EXPECT_EQ(MemberNames(device), kDeviceFields);
  EXPECT_EQ(Int(device, "mqtt_broker_id"), broker);
  EXPECT_EQ(String(device, "region"), "us");
  EXPECT_EQ(String(device, "fleet_id"), "f2");
  EXPECT_EQ(String(device, "device_name"), "Renamed");
  // The read shows the same row, and its (still absent) report.
  std::string read = server_->Admin("GET", Item(1)).body;
  EXPECT_EQ(read, r.body.substr(0, r.body.size() - 1) + ",\"reported\":null}");
  // The chain follows the assignment.
  auto explain = Json(server_->Admin("GET", Item(1) + "/resolution"));
  EXPECT_EQ(String(explain, "resolvedBy"), "device");
  EXPECT_EQ(String(explain, "broker"), "mqtt://other.example.com:1883");

  // null clears; absent fields stay.
  device = Json(server_->Admin("PUT", Item(1), R"({"mqtt_broker_id":null,"region":null})"));
  EXPECT_TRUE(IsNull(device, "mqtt_broker_id"));
  EXPECT_TRUE(IsNull(device, "region"));
  EXPECT_EQ(String(device, "fleet_id"), "f2");
  EXPECT_EQ(String(device, "device_name"), "Renamed");
  explain = Json(server_->Admin("GET", Item(1) + "/resolution"));
  EXPECT_EQ(String(explain, "resolvedBy"), "default");
  device = Json(server_->Admin("PUT", Item(1), R"({"fleet_id":null})"));
  EXPECT_TRUE(IsNull(device, "fleet_id"));
}

TEST_P(DevicesApiTest, InvalidUpdatesName400WithTheField) {
  RegisterDevices(1);
  struct Case {
    const char* body;
    const char* field;
  };
  const Case cases[] = {
      {R"({"mqtt_broker_id":)", ""},
      {R"({"mqtt_broker_id":999})", "mqtt_broker_id"},
      {R"({"mqtt_broker_id":"1"})", "mqtt_broker_id"},
      {R"({"fleet_id":"nope"})", "fleet_id"},
      {R"({"fleet_id":3})", "fleet_id"},
      {R"({"device_name":null})", "device_name"},
      {R"({"device_name":""})", "device_name"},
      {R"({"device_type":"x"})", "device_type"},  // not editable
      {R"({"api_key_hash":"x"})", "api_key_hash"},
      {R"({"region":["eu"]})", "region"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    ExpectError(AdminJson(*server_, "PUT", Item(1), c.body), 400, "invalid_request", c.field);
  }
  ExpectError(server_->Admin("PUT", Item(99), R"({"region":"eu"})"), 404, "not_found");
  EXPECT_EQ(String(Json(server_->Admin("GET", Item(1))), "device_name"), "dev");
}

TEST_P(DevicesApiTest, ListPagesWithACursor) {
  RegisterDevices(5);
  std::vector<std::string> seen;
  std::string target = "/api/v1/devices?limit=2";
  int pages = 0;
  while (true) {
    const auto r = server_->Admin("GET", target);
    ASSERT_EQ(r.status, 200) << r.body;
    auto page = Json(r);
    EXPECT_EQ(MemberNames(page), (std::vector<std::string>{"devices", "count", "next_after"}));
    EXPECT_EQ(Int(page, "count"), static_cast<std::int64_t>(page["devices"].Size()));
    for (const auto& device : page["devices"].GetArray()) {
      // Every row carries its last report, as the single read does.
      std::vector<std::string> with_report = kDeviceFields;
      with_report.push_back("reported");
      EXPECT_EQ(MemberNames(device), with_report);
      EXPECT_TRUE(device["reported"].IsNull());
      seen.push_back(device["uuid"].GetString());
    }
    ++pages;
    if (page["next_after"].IsNull()) break;
    ASSERT_EQ(page["devices"].Size(), 2u);
    EXPECT_EQ(page["next_after"].GetInt64(), page["devices"][1]["id"].GetInt64());
    target = "/api/v1/devices?limit=2&after=" + std::to_string(page["next_after"].GetInt64());
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(seen[i], TestUuid(i + 1));

  // Defaults: everything on one page.
  auto all = Json(server_->Admin("GET", "/api/v1/devices"));
  EXPECT_EQ(Int(all, "count"), 5);
  EXPECT_TRUE(IsNull(all, "next_after"));
  EXPECT_EQ(Int(Json(server_->Admin("GET", "/api/v1/devices?after=0&limit=1000")), "count"), 5);

  for (const char* query : {"limit=0", "limit=1001", "limit=abc", "limit=", "limit=1.5"}) {
    SCOPED_TRACE(query);
    ExpectError(server_->Admin("GET", std::string("/api/v1/devices?") + query), 400,
                "invalid_request", "limit");
  }
  for (const char* query : {"after=-1", "after=x"}) {
    SCOPED_TRACE(query);
    ExpectError(server_->Admin("GET", std::string("/api/v1/devices?") + query), 400,
                "invalid_request", "after");
  }
}

TEST_P(DevicesApiTest, AuthMethodsAndMediaType) {
  RegisterDevices(1);
  ExpectAdminOnly(*server_, "GET", "/api/v1/devices");
  ExpectAdminOnly(*server_, "GET", Item(1));
  ExpectAdminOnly(*server_, "PUT", Item(1), R"({"region":"x"})");
  // A device's own API key is not an admin token.
  ExpectError(OneShot(server_->port(), "GET", Item(1),
                      {{"Authorization", "Bearer device-api-key-0123456789"}}),
              401, "unauthorized");
  ExpectError(server_->Admin("DELETE", Item(1)), 405, "method_not_allowed");
  ExpectError(AdminJson(*server_, "POST", "/api/v1/devices", "{}"), 405, "method_not_allowed");
  testing::Headers text = testing::AdminHeaders();
  text.push_back({"Content-Type", "text/plain"});
  ExpectError(OneShot(server_->port(), "PUT", Item(1), text, R"({"region":"x"})"), 415,
              "unsupported_media_type");
  EXPECT_TRUE(IsNull(Json(server_->Admin("GET", Item(1))), "region"));
}

SWITCHBOARD_BOTH_BACKENDS(DevicesApiTest);

}  // namespace
}  // namespace switchboard::testing
