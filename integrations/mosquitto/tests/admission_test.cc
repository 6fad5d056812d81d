// The plugin's decisions against a real HTTP endpoint on 127.0.0.1 (the
// server layer's HttpServer) that answers as Switchboard's routes would, with
// answers the test scripts. The clock is the test's: TTLs are stepped over,
// never waited for.
#include "admission.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "capturing_logger.h"
#include "http/http_server.h"
#include "mosquitto_fixture.h"
#include "test_database.h"

namespace switchboard::mosquitto_plugin {
namespace {

using namespace std::chrono_literals;

constexpr char kToken[] = "plugin-test-hook-token-0123456789abcdef";
constexpr char kAllowBody[] = R"({"result":"allow","is_superuser":false,"acl":[)"
                              R"({"permission":"allow","action":"all","topic":"iot/device/d1/#"},)"
                              R"({"permission":"deny","action":"all","topic":"#"}]})";

// What the scripted endpoint answers, and what it saw.
struct Script {
  std::mutex mutex;
  int status = 200;
  std::string auth_body = kAllowBody;
  std::string acl_body = R"({"result":"allow"})";
  int auth_calls = 0;
  int acl_calls = 0;
  std::string last_request;
  std::string last_authorization;
};

class AdmissionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    script_ = new Script();
    log_ = new testing::CapturingLogger();
    http::HttpServerOptions options;
    options.address = "127.0.0.1:0";
    options.threads = 1;
    server_ = new http::HttpServer(options, *log_);
    auto handler = [](bool auth) {
      return [auth](const http::Request& request) {
        std::lock_guard<std::mutex> lock(script_->mutex);
        (auth ? script_->auth_calls : script_->acl_calls)++;
        script_->last_request = request.body();
        script_->last_authorization = std::string(request.Header("authorization").value_or(""));
        return http::Response::Json(script_->status, auth ? script_->auth_body : script_->acl_body);
      };
    };
    server_->Post("/api/v1/mqtt/auth", handler(true));
    server_->Post("/api/v1/mqtt/acl", handler(false));
    server_->Serve();
  }
  static void TearDownTestSuite() {
    server_->Shutdown();
    delete server_;
    delete log_;
    delete script_;
  }

  void SetUp() override {
    {
      std::lock_guard<std::mutex> lock(script_->mutex);
      script_->status = 200;
      script_->auth_body = kAllowBody;
      script_->acl_body = R"({"result":"allow"})";
      script_->auth_calls = script_->acl_calls = 0;
    }
    settings_.url = "http://127.0.0.1:" + std::to_string(server_->port());
    settings_.token = kToken;
    settings_.positive_ttl = 10s;
    settings_.negative_ttl = 2s;
    settings_.stale_grace = 30s;
    settings_.backoff = 1s;
    settings_.timeout = 2s;
    client_ = std::make_unique<HookClient>(settings_);
    admission_ = std::make_unique<Admission>(
        settings_, *client_, [this] { return now_; },
        [this](LogLevel, const std::string& line) { lines_.push_back(line); });
  }

  void Answer(int status, std::string auth_body, std::string acl_body = R"({"result":"allow"})") {
    std::lock_guard<std::mutex> lock(script_->mutex);
    script_->status = status;
    script_->auth_body = std::move(auth_body);
    script_->acl_body = std::move(acl_body);
  }
  int AuthCalls() {
    std::lock_guard<std::mutex> lock(script_->mutex);
    return script_->auth_calls;
  }
  int AclCalls() {
    std::lock_guard<std::mutex> lock(script_->mutex);
    return script_->acl_calls;
  }
  Verdict Connect(const std::string& password = "pw-1") {
    return admission_->Authenticate("device_d1", password, "client-1", "10.0.0.7");
  }
  Verdict Publish(const std::string& topic) {
    return admission_->CheckAcl("device_d1", "client-1", topic, Access::kPublish);
  }
  bool Logged(const std::string& text) {
    for (const auto& line : lines_) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }

  static Script* script_;
  static testing::CapturingLogger* log_;
  static http::HttpServer* server_;
  Settings settings_;
  Clock::time_point now_ = Clock::time_point(1000h);
  std::vector<std::string> lines_;
  std::unique_ptr<HookClient> client_;
  std::unique_ptr<Admission> admission_;
};

Script* AdmissionTest::script_ = nullptr;
testing::CapturingLogger* AdmissionTest::log_ = nullptr;
http::HttpServer* AdmissionTest::server_ = nullptr;

TEST_F(AdmissionTest, AsksWithTheHookTokenAndTheFieldsTheRouteExpects) {
  EXPECT_EQ(Connect("secret-pw"), Verdict::kAllow);
  std::lock_guard<std::mutex> lock(script_->mutex);
  EXPECT_EQ(script_->last_authorization, std::string("Bearer ") + kToken);
  rapidjson::Document body;
  body.Parse(script_->last_request.c_str());
  ASSERT_TRUE(body.IsObject()) << script_->last_request;
  EXPECT_STREQ(body["username"].GetString(), "device_d1");
  EXPECT_STREQ(body["password"].GetString(), "secret-pw");
  EXPECT_STREQ(body["clientid"].GetString(), "client-1");
  EXPECT_STREQ(body["peerhost"].GetString(), "10.0.0.7");
}

TEST_F(AdmissionTest, AnAllowIsReusedForThePositiveTtlThenAskedAgain) {
  EXPECT_EQ(Connect(), Verdict::kAllow);
  now_ += 9s;
  EXPECT_EQ(Connect(), Verdict::kAllow);
  EXPECT_EQ(AuthCalls(), 1);
  now_ += 1s;
  Answer(200, R"({"result":"deny"})");
  EXPECT_EQ(Connect(), Verdict::kDeny);
  EXPECT_EQ(AuthCalls(), 2);
}

TEST_F(AdmissionTest, ADenyIsReusedForTheNegativeTtlAndIgnoreDefers) {
  Answer(200, R"({"result":"deny"})");
  EXPECT_EQ(Connect("wrong"), Verdict::kDeny);
  now_ += 1999ms;
  EXPECT_EQ(Connect("wrong"), Verdict::kDeny);
  EXPECT_EQ(AuthCalls(), 1);
  // Another password is another question.
  Answer(200, kAllowBody);
  EXPECT_EQ(Connect("right"), Verdict::kAllow);
  EXPECT_EQ(AuthCalls(), 2);
  now_ += 1ms;
  EXPECT_EQ(Connect("wrong"), Verdict::kAllow);  // asked again: the scripted answer changed
  Answer(200, R"({"result":"ignore"})");
  EXPECT_EQ(admission_->Authenticate("someone-else", "x", "c", ""), Verdict::kDefer);
  EXPECT_EQ(admission_->Authenticate("someone-else", "x", "c", ""), Verdict::kDefer);
  EXPECT_EQ(AuthCalls(), 4);
}

TEST_F(AdmissionTest, UnreachableSwitchboardAdmitsOnlyRecentAllowsWithinTheStaleGrace) {
  EXPECT_EQ(Connect("known"), Verdict::kAllow);
  Answer(503, R"({"error":{"code":"unavailable","message":"storage unavailable"}})");
  now_ += 15s;  // past the positive TTL, within positive TTL + grace
  EXPECT_EQ(Connect("known"), Verdict::kAllow);
  EXPECT_TRUE(Logged("admitting only clients allowed within the stale grace"));
  EXPECT_TRUE(Logged("admitting 'device_d1' from its allow within the stale grace"));
  EXPECT_EQ(Connect("never-seen"), Verdict::kDeny);
  EXPECT_EQ(admission_->Authenticate("device_d2", "x", "c", ""), Verdict::kDeny);
  now_ += 30s;  // past the grace
  EXPECT_EQ(Connect("known"), Verdict::kDeny);
  // Back: everything as before, no restart.
  Answer(200, kAllowBody);
  now_ += 2s;
  EXPECT_EQ(Connect("known"), Verdict::kAllow);
  EXPECT_EQ(Connect("never-seen"), Verdict::kAllow);
}

TEST_F(AdmissionTest, AfterAFailureCallsPauseForTheBackoff) {
  Answer(500, "{}");
  EXPECT_EQ(Connect("a"), Verdict::kDeny);
  EXPECT_EQ(AuthCalls(), 1);
  now_ += 999ms;
  EXPECT_EQ(Connect("b"), Verdict::kDeny);
  EXPECT_EQ(AuthCalls(), 1) << "called during the backoff";
  now_ += 1ms;
  Answer(200, kAllowBody);
  EXPECT_EQ(Connect("b"), Verdict::kAllow);
  EXPECT_EQ(AuthCalls(), 2);
}

TEST_F(AdmissionTest, NothingListeningIsUnreachable) {
  settings_.url = "http://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  client_->Reconfigure(settings_);
  admission_->Reconfigure(settings_);
  EXPECT_EQ(Connect(), Verdict::kDeny);
  EXPECT_TRUE(Logged("cannot reach http://127.0.0.1:")) << (lines_.empty() ? "" : lines_[0]);
}

TEST_F(AdmissionTest, ARefusedRequestIsADenyAndIsLoggedAsAnError) {
  Answer(401, R"({"error":{"code":"unauthorized","message":"invalid hook token"}})");
  EXPECT_EQ(Connect(), Verdict::kDeny);
  EXPECT_TRUE(Logged("answered 401")) << (lines_.empty() ? "" : lines_[0]);
  EXPECT_TRUE(Logged("invalid hook token"));
  // Not cached, not a backoff: the next connect asks again.
  EXPECT_EQ(Connect(), Verdict::kDeny);
  EXPECT_EQ(AuthCalls(), 2);
}

TEST_F(AdmissionTest, UnreadableAnswersAreNoAnswer) {
  for (const char* body :
       {"", "[]", R"({"result":"maybe"})", R"({"result":"allow"})",
        R"({"result":"allow","acl":[{"permission":"allow","topic":"a"}]})",
        R"({"result":"allow","acl":[{"permission":"perhaps","action":"all","topic":"a"}]})",
        "{\"result\":\"allow\"} trailing"}) {
    Answer(200, body);
    now_ += 1h;  // past every TTL and backoff
    EXPECT_EQ(Connect(std::string("pw-") + body), Verdict::kDeny) << body;
  }
}

TEST_F(AdmissionTest, TopicsAreCheckedLocallyWhileTheRightsAreFresh) {
  ASSERT_EQ(Connect(), Verdict::kAllow);
  EXPECT_EQ(Publish("iot/device/d1/t"), Verdict::kAllow);
  EXPECT_EQ(Publish("iot/device/d2/t"), Verdict::kDeny);
  EXPECT_EQ(admission_->CheckAcl("device_d1", "c", "iot/device/d1/#", Access::kSubscribe),
            Verdict::kAllow);
  EXPECT_EQ(admission_->CheckAcl("device_d1", "c", "#", Access::kSubscribe), Verdict::kDeny);
  EXPECT_EQ(AclCalls(), 0);
}

TEST_F(AdmissionTest, StaleRightsAreConfirmedAndWithdrawnWhenSwitchboardSaysNo) {
  ASSERT_EQ(Connect(), Verdict::kAllow);
  now_ += 11s;
  EXPECT_EQ(Publish("iot/device/d1/t"), Verdict::kAllow);
  EXPECT_EQ(AclCalls(), 1);
  EXPECT_EQ(Publish("iot/device/d1/t"), Verdict::kAllow);  // renewed
  EXPECT_EQ(AclCalls(), 1);
  EXPECT_EQ(Publish("iot/device/d9/t"), Verdict::kDeny);  // local deny: no call
  EXPECT_EQ(AclCalls(), 1);
  now_ += 11s;
  Answer(200, kAllowBody, R"({"result":"deny"})");  // deactivated meanwhile
  EXPECT_EQ(Publish("iot/device/d1/t"), Verdict::kDeny);
  EXPECT_EQ(Publish("iot/device/d1/other"), Verdict::kDeny);
  EXPECT_EQ(AclCalls(), 2) << "withdrawn rights must not be asked about again";
  EXPECT_TRUE(Logged("were withdrawn"));
  // Connecting again brings fresh rights.
  EXPECT_EQ(Connect("new-password"), Verdict::kAllow);
  EXPECT_EQ(Publish("iot/device/d1/t"), Verdict::kAllow);
}

TEST_F(AdmissionTest, StaleRightsLastTheGraceWhileSwitchboardIsUnreachable) {
  ASSERT_EQ(Connect(), Verdict::kAllow);
  Answer(503, "{}", "{}");
  now_ += 20s;
  EXPECT_EQ(Publish("iot/device/d1/t"), Verdict::kAllow);
  now_ += 21s;  // 41 s > 10 s TTL + 30 s grace
  EXPECT_EQ(Publish("iot/device/d1/t"), Verdict::kDeny);
}

TEST_F(AdmissionTest, UsersWithoutRightsHereAreAskedPerTopicAndCached) {
  Answer(200, kAllowBody, R"({"result":"ignore"})");
  EXPECT_EQ(admission_->CheckAcl("probe", "c", "a/b", Access::kPublish), Verdict::kDefer);
  EXPECT_EQ(admission_->CheckAcl("probe", "c", "a/b", Access::kPublish), Verdict::kDefer);
  EXPECT_EQ(AclCalls(), 1);
  Answer(200, kAllowBody, R"({"result":"deny"})");
  EXPECT_EQ(admission_->CheckAcl("device_x", "c", "a/b", Access::kRead), Verdict::kDeny);
  Answer(503, "{}", "{}");
  EXPECT_EQ(admission_->CheckAcl("device_y", "c", "a/b", Access::kRead), Verdict::kDefer);
  rapidjson::Document body;
  {
    std::lock_guard<std::mutex> lock(script_->mutex);
    body.Parse(script_->last_request.c_str());
  }
  ASSERT_TRUE(body.IsObject());
  EXPECT_STREQ(body["action"].GetString(), "subscribe");  // a delivery is a subscribe right
  EXPECT_STREQ(body["topic"].GetString(), "a/b");
}

TEST_F(AdmissionTest, ANonUtf8PasswordIsNotSentAndDefers) {
  EXPECT_EQ(Connect(std::string("\xff\xfe", 2)), Verdict::kDefer);
  EXPECT_EQ(AuthCalls(), 0);
}

}  // namespace
}  // namespace switchboard::mosquitto_plugin
