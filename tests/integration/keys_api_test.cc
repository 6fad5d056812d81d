// /api/v1/provisioning-keys over real HTTP against `switchboard serve`, on
// both backends: the key shown once, never listed (nor its hash), revoked
// keys refused at registration.
#include <gtest/gtest.h>

#include "api_test_support.h"
#include "util/crypto.h"

namespace switchboard::testing {
namespace {

constexpr char kKeys[] = "/api/v1/provisioning-keys";

const std::vector<std::string> kListedFields = {
    "id",        "fleetId",  "description", "maxDevices", "devicesProvisioned",
    "expiresAt", "isActive", "createdAt",   "lastUsedAt"};

class KeysApiTest : public ServedDatabaseTest {};

TEST_P(KeysApiTest, CreateShowsTheKeyOnceAndListNeverDoes) {
  const auto r = server_->Admin(
      "POST", kKeys,
      R"({"fleetId":"f1","maxDevices":10,"expiresInDays":30,"description":"line 7"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.Header("Cache-Control").value_or(""), "no-store");
  auto created = Json(r);
  EXPECT_EQ(MemberNames(created),
            (std::vector<std::string>{"id", "key", "fleetId", "description", "maxDevices",
                                      "devicesProvisioned", "expiresAt", "isActive", "createdAt",
                                      "lastUsedAt", "fleetCreated", "warning"}));
  const std::int64_t id = Int(created, "id");
  EXPECT_EQ(r.Header("Location").value_or(""), std::string(kKeys) + "/" + std::to_string(id));
  const std::string key = String(created, "key");
  EXPECT_EQ(key.size(), 43u);  // 256 bits, URL-safe base64
  EXPECT_EQ(String(created, "fleetId"), "f1");
  EXPECT_EQ(String(created, "description"), "line 7");
  EXPECT_EQ(Int(created, "maxDevices"), 10);
  EXPECT_EQ(Int(created, "devicesProvisioned"), 0);
  EXPECT_TRUE(created["isActive"].GetBool());
  EXPECT_GT(String(created, "expiresAt"), String(created, "createdAt"));
  EXPECT_TRUE(IsNull(created, "lastUsedAt"));
  EXPECT_TRUE(created["fleetCreated"].GetBool());  // f1 did not exist

  // Defaults: unlimited, never expires, no description; the fleet exists now.
  auto unlimited = Json(server_->Admin("POST", kKeys, R"({"fleetId":"f1"})"));
  EXPECT_TRUE(IsNull(unlimited, "maxDevices"));
  EXPECT_TRUE(IsNull(unlimited, "expiresAt"));
  EXPECT_TRUE(IsNull(unlimited, "description"));
  EXPECT_FALSE(unlimited["fleetCreated"].GetBool());
  EXPECT_NE(String(unlimited, "key"), key);
  server_->Admin("POST", kKeys, R"({"fleetId":"f2"})");

  for (const std::string& target : {std::string(kKeys), std::string(kKeys) + "?fleetId=f1"}) {
    const auto listed = server_->Admin("GET", target);
    ASSERT_EQ(listed.status, 200) << listed.body;
    EXPECT_EQ(listed.body.find(key), std::string::npos) << listed.body;
    EXPECT_EQ(listed.body.find(Sha256Hex(key)), std::string::npos) << listed.body;
    EXPECT_EQ(listed.body.find(String(unlimited, "key")), std::string::npos);
    EXPECT_EQ(listed.body.find("\"key\""), std::string::npos);
    EXPECT_EQ(listed.body.find("hash"), std::string::npos);
  }
  auto all = Json(server_->Admin("GET", kKeys));
  EXPECT_EQ(MemberNames(all), (std::vector<std::string>{"fleetId", "keys", "count"}));
  EXPECT_TRUE(IsNull(all, "fleetId"));
  EXPECT_EQ(Int(all, "count"), 3);
  auto f1 = Json(server_->Admin("GET", std::string(kKeys) + "?fleetId=f1"));
  EXPECT_EQ(String(f1, "fleetId"), "f1");
  EXPECT_EQ(Int(f1, "count"), 2);
  const auto& first = f1["keys"][0];
  EXPECT_EQ(MemberNames(first), kListedFields);
  EXPECT_EQ(Int(first, "id"), id);
  EXPECT_EQ(String(first, "description"), "line 7");
  EXPECT_EQ(String(first, "expiresAt"), String(created, "expiresAt"));
  EXPECT_EQ(String(first, "createdAt"), String(created, "createdAt"));
  ExpectError(server_->Admin("GET", std::string(kKeys) + "?fleetId=nope"), 404, "not_found");

  // The key works, and is counted.
  testing::CreateDefaultBroker(*server_);
  ASSERT_EQ(testing::Register(*server_, key, TestUuid(1)).status, 200);
  f1 = Json(server_->Admin("GET", std::string(kKeys) + "?fleetId=f1"));
  EXPECT_EQ(Int(f1["keys"][0], "devicesProvisioned"), 1);
  EXPECT_NE(String(f1["keys"][0], "lastUsedAt"), "<none>");
}

TEST_P(KeysApiTest, RevokedKeyIsRefusedAtRegistration) {
  testing::CreateDefaultBroker(*server_);
  const auto created = Json(server_->Admin("POST", kKeys, R"({"fleetId":"f1"})"));
  const std::string key = String(created, "key");
  const std::string item = std::string(kKeys) + "/" + std::to_string(Int(created, "id"));
  ASSERT_EQ(testing::Register(*server_, key, TestUuid(1)).status, 200);

  const auto revoked = server_->Admin("DELETE", item);
  EXPECT_EQ(revoked.status, 204);
  EXPECT_EQ(revoked.body, "");
  EXPECT_EQ(server_->Admin("DELETE", item).status, 204);  // idempotent
  auto list = Json(server_->Admin("GET", kKeys));
  EXPECT_FALSE(list["keys"][0]["isActive"].GetBool());

  const auto refused = testing::Register(*server_, key, TestUuid(2));
  ExpectError(refused, 403, "forbidden");
  EXPECT_NE(refused.body.find("revoked"), std::string::npos) << refused.body;
  ExpectError(server_->Admin("DELETE", std::string(kKeys) + "/999"), 404, "not_found");
  ExpectError(server_->Admin("DELETE", std::string(kKeys) + "/abc"), 400, "invalid_request", "id");
}

TEST_P(KeysApiTest, ExhaustedKeyIsRefused) {
  testing::CreateDefaultBroker(*server_);
  const std::string key = testing::CreateKey(*server_, "f1", R"("maxDevices":1)");
  ASSERT_EQ(testing::Register(*server_, key, TestUuid(1)).status, 200);
  const auto refused = testing::Register(*server_, key, TestUuid(2));
  ExpectError(refused, 403, "forbidden");
  EXPECT_NE(refused.body.find("exhausted"), std::string::npos) << refused.body;
}

TEST_P(KeysApiTest, InvalidRequestsName400WithTheField) {
  struct Case {
    const char* body;
    const char* field;
  };
  const Case cases[] = {
      {R"({"fleetId":)", ""},
      {R"({})", "fleetId"},
      {R"({"fleetId":null})", "fleetId"},
      {R"({"fleetId":5})", "fleetId"},
      {R"({"fleetId":"has space"})", "fleetId"},
      {R"({"fleetId":"f1","maxDevices":0})", "maxDevices"},
      {R"({"fleetId":"f1","maxDevices":"5"})", "maxDevices"},
      {R"({"fleetId":"f1","maxDevices":3000000000})", "maxDevices"},
      {R"({"fleetId":"f1","expiresInDays":0})", "expiresInDays"},
      {R"({"fleetId":"f1","expiresInDays":36501})", "expiresInDays"},
      {R"({"fleetId":"f1","expiresInDays":1.5})", "expiresInDays"},
      {R"({"fleetId":"f1","description":7})", "description"},
      {R"({"fleet_id":"f1"})", "fleet_id"},
      {R"({"fleetId":"f1","key":"chosen-by-client"})", "key"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    ExpectError(AdminJson(*server_, "POST", kKeys, c.body), 400, "invalid_request", c.field);
  }
  EXPECT_EQ(Int(Json(server_->Admin("GET", kKeys)), "count"), 0);
}

TEST_P(KeysApiTest, AuthMethodsAndMediaType) {
  ExpectAdminOnly(*server_, "POST", kKeys, R"({"fleetId":"f1"})");
  ExpectAdminOnly(*server_, "GET", kKeys);
  ExpectAdminOnly(*server_, "DELETE", std::string(kKeys) + "/1");
  EXPECT_EQ(Int(Json(server_->Admin("GET", kKeys)), "count"), 0);
  // A provisioning key is not an admin token.
  const std::string key = testing::CreateKey(*server_, "f1");
  ExpectError(OneShot(server_->port(), "GET", kKeys, {{"Authorization", "Bearer " + key}}), 401,
              "unauthorized");

  ExpectError(AdminJson(*server_, "PUT", kKeys, R"({"fleetId":"f1"})"), 405, "method_not_allowed");
  ExpectError(server_->Admin("GET", std::string(kKeys) + "/1"), 405, "method_not_allowed");
  testing::Headers text = testing::AdminHeaders();
  text.push_back({"Content-Type", "text/plain"});
  ExpectError(OneShot(server_->port(), "POST", kKeys, text, R"({"fleetId":"f1"})"), 415,
              "unsupported_media_type");
}

SWITCHBOARD_BOTH_BACKENDS(KeysApiTest);

}  // namespace
}  // namespace switchboard::testing
