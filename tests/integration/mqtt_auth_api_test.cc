// POST /api/v1/mqtt/auth, /api/v1/mqtt/acl and
// /api/v1/mqtt/brokers/{id}/hook-token over real HTTP against
// `switchboard serve`, on both backends: the EMQX 5 answer shapes, every bad
// input the routes must refuse (never with an allow), the hook tokens, and
// the `$7$` checks running off the HTTP worker with a bounded queue.
#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <future>
#include <string>
#include <vector>

#include "api_test_support.h"
#include "util/crypto.h"

namespace switchboard {
namespace {

using testing::ExpectError;
using testing::HttpConnection;
using testing::HttpResponse;
using testing::Int;
using testing::Json;
using testing::MemberNames;
using testing::OneShot;
using testing::String;
using testing::SwitchboardProcess;
using testing::TestUuid;

constexpr char kHookToken[] = "integration-hook-token-0123456789abcdef012345";
constexpr char kAuth[] = "/api/v1/mqtt/auth";
constexpr char kAcl[] = "/api/v1/mqtt/acl";

std::string JsonString(const std::string& text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return buffer.GetString();
}

class MqttAuthApiTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped()) return;
  }

  void Start(const std::string& mqtt_auth_yaml = "", int threads = 2) {
    auto options = testing::ServeOptions(url());
    options.environment["SWITCHBOARD_MQTT_AUTH_TOKEN"] = kHookToken;
    options.threads = threads;
    if (!mqtt_auth_yaml.empty()) options.extra_yaml = "mqtt_auth:\n" + mqtt_auth_yaml;
    server_ = SwitchboardProcess::Start(options);
  }

  // Registers device n over HTTP; returns its MQTT password.
  std::string RegisterDevice(int n) {
    if (default_broker_ == 0) default_broker_ = testing::CreateDefaultBroker(*server_);
    if (key_.empty()) key_ = testing::CreateKey(*server_, "fleet-1");
    const HttpResponse r = testing::Register(*server_, key_, TestUuid(n));
    EXPECT_EQ(r.status, 200) << r.body;
    return String(Json(r)["mqtt"], "password");
  }
  static std::string User(int n) { return "device_" + TestUuid(n); }

  HttpResponse Hook(const char* route, const std::string& body,
                    const std::string& token = kHookToken) {
    testing::Headers headers = {{"Content-Type", "application/json"}};
    if (!token.empty()) headers.push_back({"Authorization", "Bearer " + token});
    return OneShot(server_->port(), "POST", route, headers, body);
  }
  HttpResponse Auth(const std::string& username, const std::string& password,
                    const std::string& token = kHookToken) {
    return Hook(kAuth,
                R"({"username":)" + JsonString(username) + R"(,"password":)" +
                    JsonString(password) + R"(,"clientid":"c1","peerhost":"10.1.2.3"})",
                token);
  }
  HttpResponse Acl(const std::string& username, const std::string& topic, const char* action,
                   const std::string& token = kHookToken) {
    return Hook(kAcl,
                R"({"username":)" + JsonString(username) + R"(,"clientid":"c1","topic":)" +
                    JsonString(topic) + R"(,"action":")" + action + "\"}",
                token);
  }
  static std::string Result(const HttpResponse& r) { return String(Json(r), "result"); }

  std::unique_ptr<SwitchboardProcess> server_;
  std::int64_t default_broker_ = 0;
  std::string key_;
};

TEST_P(MqttAuthApiTest, AnswersInEmqxShape) {
  Start();
  const std::string password = RegisterDevice(1);
  const HttpResponse allow = Auth(User(1), password);
  ASSERT_EQ(allow.status, 200) << allow.body;
  EXPECT_EQ(allow.Header("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(allow.Header("Cache-Control").value_or(""), "no-store");
  const std::string topic = "iot/device/" + TestUuid(1) + "/#";
  EXPECT_EQ(allow.body, R"({"result":"allow","is_superuser":false,"acl":[)"
                        R"({"permission":"allow","action":"all","topic":")" +
                            topic + R"("},{"permission":"deny","action":"all","topic":"#"}]})");
  EXPECT_EQ(Auth(User(1), password + "x").body, R"({"result":"deny"})");
  EXPECT_EQ(Auth(User(2), password).body, R"({"result":"deny"})");  // device_ name, no user
  EXPECT_EQ(Auth("mosquitto-admin", "pw").body, R"({"result":"ignore"})");

  EXPECT_EQ(Acl(User(1), "iot/device/" + TestUuid(1) + "/t", "publish").body,
            R"({"result":"allow"})");
  EXPECT_EQ(Acl(User(1), "iot/device/" + TestUuid(9) + "/t", "publish").body,
            R"({"result":"deny"})");
  EXPECT_EQ(Acl(User(1), topic, "subscribe").body, R"({"result":"allow"})");
  EXPECT_EQ(Acl("mosquitto-admin", "x", "subscribe").body, R"({"result":"ignore"})");

  const std::string metrics = OneShot(server_->port(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find(R"(switchboard_mqtt_hook_decisions_total{route="auth",result="deny"} 2)"),
            std::string::npos)
      << metrics;
  // The log names denied users, never a password or a token.
  const std::string log = server_->Log();
  EXPECT_NE(log.find("mqtt auth: deny '" + User(1) + "' (wrong password)"), std::string::npos)
      << log;
  EXPECT_EQ(log.find(password), std::string::npos);
  EXPECT_EQ(log.find(kHookToken), std::string::npos);
}

TEST_P(MqttAuthApiTest, BadRequestsGet400Or401AndNeverAnAllow) {
  Start();
  const std::string password = RegisterDevice(1);
  const std::string user = JsonString(User(1));
  const std::string pw = JsonString(password);
  struct Case {
    const char* route;
    std::string body;
    int status;
    const char* field;
  };
  const std::vector<Case> cases = {
      {kAuth, "", 400, ""},
      {kAuth, "{", 400, ""},
      {kAuth, R"({"password":)" + pw + R"(,"clientid":"c"})", 400, "username"},
      {kAuth, R"({"username":)" + user + R"(,"clientid":"c"})", 400, "password"},
      {kAuth, R"({"username":)" + user + R"(,"password":)" + pw + "}", 400, "clientid"},
      {kAuth, R"({"username":7,"password":)" + pw + R"(,"clientid":"c"})", 400, "username"},
      {kAuth,
       R"({"username":)" + user + R"(,"password":)" + pw + R"(,"clientid":"c","peerhost":1})", 400,
       "peerhost"},
      {kAuth, R"({"username":)" + user + R"(,"password":)" + pw + R"(,"clientid":"c"} x)", 400, ""},
      {kAuth,
       R"({"username":)" + user + R"(,"username":"x","password":)" + pw + R"(,"clientid":"c"})",
       400, ""},
      {kAuth, R"({"username":")" + User(1) + R"(\u0000","password":)" + pw + R"(,"clientid":"c"})",
       400, "username"},
      {kAcl, R"({"username":)" + user + R"(,"clientid":"c","topic":"a","action":"read"})", 400,
       "action"},
      {kAcl, R"({"username":)" + user + R"(,"clientid":"c","topic":"","action":"publish"})", 400,
       "topic"},
      {kAcl, R"({"username":)" + user + R"(,"clientid":"c","topic":"a\u0000b","action":"publish"})",
       400, "topic"},
      {kAcl, R"({"username":)" + user + R"(,"clientid":"c","action":"publish"})", 400, "topic"},
  };
  for (const Case& c : cases) {
    const HttpResponse r = Hook(c.route, c.body);
    ExpectError(r, c.status, c.status == 400 ? "invalid_request" : "unauthorized", c.field);
    EXPECT_EQ(r.body.find("allow"), std::string::npos) << c.body;
  }
  // Credentials: none, wrong, the admin token, the shared token's prefix.
  for (const std::string& token :
       {std::string(), std::string("wrong-token-0123456789abcdef0123"),
        std::string(testing::kTestAdminToken), std::string(kHookToken).substr(0, 40)}) {
    for (const HttpResponse& r :
         {Auth(User(1), password, token), Acl(User(1), "iot/device/x", "publish", token)}) {
      ExpectError(r, 401, "unauthorized");
      EXPECT_EQ(r.Header("WWW-Authenticate").value_or(""), "Bearer");
    }
  }
  const HttpResponse admin = Auth(User(1), password, testing::kTestAdminToken);
  EXPECT_NE(admin.body.find("the admin token is not accepted here"), std::string::npos);
  // Not JSON.
  ExpectError(OneShot(server_->port(), "POST", kAuth,
                      {{"Authorization", std::string("Bearer ") + kHookToken},
                       {"Content-Type", "text/plain"}},
                      "username=x"),
              415, "unsupported_media_type");
}

TEST_P(MqttAuthApiTest, OversizedAndWildcardInputIsDeniedOr4xxNeverAllowed) {
  Start();
  const std::string password = RegisterDevice(1);
  // A 64 KiB password does not fit the 64 KiB body limit: 413, connection closed.
  const HttpResponse huge = Auth(User(1), std::string(64 * 1024, 'p'));
  ExpectError(huge, 413, "payload_too_large");
  // Just under the limit: checked like any password, and denied.
  EXPECT_EQ(Auth(User(1), std::string(60 * 1024, 'p')).body, R"({"result":"deny"})");
  EXPECT_EQ(Auth(User(1), "").body, R"({"result":"deny"})");
  const std::string own = "iot/device/" + TestUuid(1);
  for (const std::string& topic : {own + "/+", own + "/#", own + "/a#", std::string("#")}) {
    EXPECT_EQ(Acl(User(1), topic, "publish").body, R"({"result":"deny"})") << topic;
  }
  EXPECT_EQ(Acl(User(1), own + "/a#", "subscribe").body, R"({"result":"deny"})");
  EXPECT_EQ(Acl(User(1), std::string(60 * 1024, 't'), "publish").body, R"({"result":"deny"})");
  // Still answering normally.
  EXPECT_EQ(Result(Auth(User(1), password)), "allow");
}

TEST_P(MqttAuthApiTest, DeactivatedUsersAreDenied) {
  Start();
  const std::string password = RegisterDevice(1);
  ASSERT_EQ(Result(Auth(User(1), password)), "allow");
  Exec("UPDATE mqtt_users SET is_active = 0");
  EXPECT_EQ(Result(Auth(User(1), password)), "deny");
  EXPECT_EQ(Result(Acl(User(1), "iot/device/" + TestUuid(1) + "/t", "publish")), "deny");
  EXPECT_NE(server_->Log().find("(MQTT user deactivated)"), std::string::npos);
}

TEST_P(MqttAuthApiTest, HookTokenRouteShowsTheTokenOnceAndRotates) {
  Start();
  const std::int64_t broker = default_broker_ = testing::CreateDefaultBroker(*server_);
  const std::string route = "/api/v1/mqtt/brokers/" + std::to_string(broker) + "/hook-token";
  testing::ExpectAdminOnly(*server_, "POST", route);
  ExpectError(server_->Admin("POST", "/api/v1/mqtt/brokers/999/hook-token"), 404, "not_found");
  ExpectError(server_->Admin("POST", "/api/v1/mqtt/brokers/x/hook-token"), 400, "invalid_request",
              "id");
  // Its own token, not the shared one, is no hook token for the admin routes.
  ExpectError(OneShot(server_->port(), "POST", route,
                      {{"Authorization", std::string("Bearer ") + kHookToken}}),
              401, "unauthorized");

  const HttpResponse first = server_->Admin("POST", route);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.Header("Cache-Control").value_or(""), "no-store");
  auto body = Json(first);
  EXPECT_EQ(MemberNames(body),
            (std::vector<std::string>{"broker_id", "token", "created_at", "rotated", "warning"}));
  EXPECT_EQ(Int(body, "broker_id"), broker);
  EXPECT_FALSE(body["rotated"].GetBool());
  const std::string token = String(body, "token");
  EXPECT_EQ(token.size(), 43u);
  const std::string password = RegisterDevice(1);
  EXPECT_EQ(Result(Auth(User(1), password, token)), "allow");

  const HttpResponse second = server_->Admin("POST", route);
  ASSERT_EQ(second.status, 200);
  EXPECT_TRUE(Json(second)["rotated"].GetBool());
  const std::string rotated = String(Json(second), "token");
  EXPECT_NE(rotated, token);
  ExpectError(Auth(User(1), password, token), 401, "unauthorized");
  EXPECT_EQ(Result(Auth(User(1), password, rotated)), "allow");

  // Never listed, never logged.
  const std::string brokers = server_->Admin("GET", "/api/v1/mqtt/brokers").body;
  EXPECT_EQ(brokers.find(rotated), std::string::npos);
  EXPECT_EQ(brokers.find(Sha256Hex(rotated)), std::string::npos);
  EXPECT_EQ(server_->Log().find(rotated), std::string::npos);
  EXPECT_EQ(server_->Log().find(token), std::string::npos);
}

TEST_P(MqttAuthApiTest, RestrictToAssignedNeedsTheAssignedBrokersOwnToken) {
  Start("  restrict_to_assigned: true\n");
  const std::string password = RegisterDevice(1);  // resolves to the default broker
  const std::int64_t a = default_broker_;
  const auto other =
      server_->Admin("POST", "/api/v1/mqtt/brokers", R"({"name":"b","host":"b.example.com"})");
  const std::int64_t b = Int(Json(other), "id");
  auto token_of = [&](std::int64_t id) {
    return String(
        Json(server_->Admin("POST", "/api/v1/mqtt/brokers/" + std::to_string(id) + "/hook-token")),
        "token");
  };
  const std::string token_a = token_of(a);
  const std::string token_b = token_of(b);
  const HttpResponse shared = Auth(User(1), password);
  ExpectError(shared, 401, "unauthorized");
  EXPECT_NE(shared.body.find("restrict_to_assigned"), std::string::npos);
  EXPECT_EQ(Result(Auth(User(1), password, token_a)), "allow");
  EXPECT_EQ(Result(Auth(User(1), password, token_b)), "deny");
  const HttpResponse moved = server_->Admin("PUT", "/api/v1/devices/" + TestUuid(1),
                                            R"({"mqtt_broker_id":)" + std::to_string(b) + "}");
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(Result(Auth(User(1), password, token_b)), "allow");
  EXPECT_EQ(Result(Auth(User(1), password, token_a)), "deny");
  EXPECT_NE(server_->Log().find("(device not assigned to broker " + std::to_string(a) + ")"),
            std::string::npos);
}

// A `$7$` hash with a million iterations (one check takes seconds) keeps the
// only check thread busy. With one HTTP worker, requests behind it are still
// answered: the checks do not run on the worker, and the one that finds the
// queue (one slot) full is answered 503 at once instead of waiting.
TEST_P(MqttAuthApiTest, PasswordChecksRunOffTheWorkerWithABoundedQueue) {
  Start("  verify_threads: 1\n  verify_queue: 1\n", /*threads=*/1);
  const std::string slow_hash =
      "$7$1000000$" + Base64Encode(std::string(12, 's')) + "$" + Base64Encode(std::string(64, 'h'));
  Exec("INSERT INTO mqtt_users (username, password_hash) VALUES ('device_slow', '" + slow_hash +
       "')");
  const std::string body = R"({"username":"device_slow","password":"x","clientid":"c"})";
  std::vector<std::unique_ptr<HttpConnection>> connections;
  for (int i = 0; i < 3; ++i) {
    connections.push_back(HttpConnection::Connect(server_->port()));
    connections.back()->SendRaw(
        testing::FormatRequest("POST", kAuth,
                               {{"Authorization", std::string("Bearer ") + kHookToken},
                                {"Content-Type", "application/json"}},
                               body));
  }
  // The worker is free while checks run.
  EXPECT_EQ(OneShot(server_->port(), "GET", "/healthz").status, 200);
  int denied = 0, busy = 0;
  for (auto& connection : connections) {
    const HttpResponse r = connection->ReadResponse(std::chrono::seconds(60));
    if (r.status == 200) {
      EXPECT_EQ(r.body, R"({"result":"deny"})");
      ++denied;
    } else {
      ExpectError(r, 503, "unavailable");
      EXPECT_EQ(r.Header("Retry-After").value_or(""), "1");
      ++busy;
    }
  }
  EXPECT_GE(denied, 1);
  EXPECT_GE(busy, 1) << "three slow checks fit one thread and one queue slot";
  EXPECT_NE(server_->Log().find("password-check queue full"), std::string::npos);
}

TEST_P(MqttAuthApiTest, TheHookTokenMustNotBeTheAdminToken) {
  auto options = testing::ServeOptions(url());
  options.environment["SWITCHBOARD_MQTT_AUTH_TOKEN"] = testing::kTestAdminToken;
  EXPECT_THROW(SwitchboardProcess::Start(options), std::runtime_error);
  options.environment["SWITCHBOARD_MQTT_AUTH_TOKEN"] = "short";
  try {
    SwitchboardProcess::Start(options);
    ADD_FAILURE() << "a short hook token was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("the MQTT hook token must be at least 32 characters"),
              std::string::npos)
        << e.what();
  }
}

SWITCHBOARD_BOTH_BACKENDS(MqttAuthApiTest);

}  // namespace
}  // namespace switchboard
