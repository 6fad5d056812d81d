// Brute force: wrong credentials are limited per client address
// (server.auth_failures), against the real binary on both backends. Clients
// are told apart by their real source address (127.0.0.1, .2, .3 …), and
// behind a trusted proxy by X-Forwarded-For.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <thread>

#include "device_api_test_support.h"

namespace switchboard {
namespace {

using testing::DeviceApiTest;
using testing::ExpectApiError;
using testing::Headers;
using testing::HttpResponse;
using testing::JsonHeaders;
using testing::NewUuid;
using testing::OneShot;
using testing::OneShotFrom;
using testing::RegistrationBody;
using testing::ServeOptions;
using testing::SwitchboardProcess;

constexpr char kHookToken[] = "limit-test-hook-token-0123456789abcdef0123456";
constexpr char kWrongKey[] = "wrong-key-0000000000000000000000000000000000";

Headers AdminHeaders() {
  return {{"Authorization", std::string("Bearer ") + testing::kTestAdminToken}};
}

// The value of one series in /metrics, or -1 when absent.
long long Metric(const SwitchboardProcess& server, const std::string& series) {
  const std::string text = OneShot(server.port(), "GET", "/metrics").body;
  const std::regex line("(^|\n)" + std::regex_replace(series, std::regex(R"([{}"\\])"), R"(\$&)") +
                        " ([0-9]+)");
  std::smatch match;
  if (!std::regex_search(text, match, line)) return -1;
  return std::stoll(match[2]);
}

class AuthFailureLimitTest : public DeviceApiTest {
 protected:
  // burst 3, and no token back during the test unless `refill` says so.
  std::unique_ptr<SwitchboardProcess> Start(const std::string& refill = "1h",
                                            const std::string& extra_server_yaml = "") {
    auto options = ServeOptions(url());
    options.server_yaml =
        "  auth_failures: {burst: 3, refill: " + refill + "}\n" + extra_server_yaml;
    options.environment["SWITCHBOARD_MQTT_AUTH_TOKEN"] = kHookToken;
    return SwitchboardProcess::Start(options);
  }

  HttpResponse RegisterFrom(const std::string& source, const SwitchboardProcess& server,
                            const std::string& key, Headers extra = {}) {
    Headers headers = JsonHeaders(key);
    headers.insert(headers.end(), extra.begin(), extra.end());
    return OneShotFrom(source, server.port(), "POST", "/api/v1/device/register", headers,
                       RegistrationBody(NewUuid()));
  }
};

TEST_P(AuthFailureLimitTest, WrongProvisioningKeysAreLimitedPerAddressOnly) {
  AddBroker("b", {{"is_default", "1"}});
  const std::string key = AddKey("fleet-a");
  auto server = Start();

  for (int i = 0; i < 3; ++i) {
    ExpectApiError(RegisterFrom("127.0.0.2", *server, kWrongKey), 401, "unauthorized");
  }
  // Refused before the key is looked at: the valid key too, from there.
  const HttpResponse limited = RegisterFrom("127.0.0.2", *server, key);
  ExpectApiError(limited, 429, "too_many_requests");
  EXPECT_EQ(limited.Header("Retry-After").value_or(""), "3600");
  // A valid key from another address is never refused.
  EXPECT_EQ(RegisterFrom("127.0.0.3", *server, key).status, 200);
  // Neither is a wrong one from another address (it gets its own 401).
  ExpectApiError(RegisterFrom("127.0.0.4", *server, kWrongKey), 401, "unauthorized");
  EXPECT_EQ(Rows().devices, 1);

  EXPECT_EQ(Metric(*server, R"(switchboard_auth_failures_total{credential="provisioning_key"})"),
            4);
  EXPECT_EQ(Metric(*server, R"(switchboard_auth_throttled_total{credential="provisioning_key"})"),
            1);
}

TEST_P(AuthFailureLimitTest, ValidCredentialsNeverSpendTokens) {
  AddBroker("b", {{"is_default", "1"}});
  const std::string key = AddKey("fleet-a");
  auto server = Start();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(RegisterFrom("127.0.0.2", *server, key).status, 200);
  ExpectApiError(RegisterFrom("127.0.0.2", *server, kWrongKey), 401, "unauthorized");
  EXPECT_EQ(RegisterFrom("127.0.0.2", *server, key).status, 200);
}

TEST_P(AuthFailureLimitTest, AValidCredentialIsServedAgainOnceATokenIsBack) {
  AddBroker("b", {{"is_default", "1"}});
  const std::string key = AddKey("fleet-a");
  auto server = Start("1s");
  for (int i = 0; i < 3; ++i) RegisterFrom("127.0.0.2", *server, kWrongKey);
  const HttpResponse limited = RegisterFrom("127.0.0.2", *server, key);
  ASSERT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(limited.Header("Retry-After").value_or(""), "1");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(RegisterFrom("127.0.0.2", *server, key).status, 200);
}

TEST_P(AuthFailureLimitTest, WrongDeviceKeysAndAdminTokensAreLimitedToo) {
  AddBroker("b", {{"is_default", "1"}});
  const std::string key = AddKey("fleet-a");
  auto server = Start();
  const std::string uuid = NewUuid();
  ASSERT_EQ(OneShot(server->port(), "POST", "/api/v1/device/register", JsonHeaders(key),
                    RegistrationBody(uuid))
                .status,
            200);
  const std::string target = "/api/v1/device/" + uuid + "/mqtt";
  for (int i = 0; i < 3; ++i) {
    ExpectApiError(OneShotFrom("127.0.0.2", server->port(), "GET", target,
                               {{"X-Device-API-Key", "wrong-device-key-0123456789"}}),
                   401, "unauthorized");
  }
  ExpectApiError(OneShotFrom("127.0.0.2", server->port(), "GET", target,
                             {{"X-Device-API-Key", testing::kDeviceApiKey}}),
                 429, "too_many_requests");
  EXPECT_EQ(OneShotFrom("127.0.0.3", server->port(), "GET", target,
                        {{"X-Device-API-Key", testing::kDeviceApiKey}})
                .status,
            200);

  const Headers wrong_admin = {{"Authorization", "Bearer not-the-admin-token"}};
  for (int i = 0; i < 3; ++i) {
    ExpectApiError(OneShotFrom("127.0.0.4", server->port(), "GET", "/api/v1/fleets", wrong_admin),
                   401, "unauthorized");
  }
  ExpectApiError(OneShotFrom("127.0.0.4", server->port(), "GET", "/api/v1/fleets", AdminHeaders()),
                 429, "too_many_requests");
  EXPECT_EQ(OneShot(server->port(), "GET", "/api/v1/fleets", AdminHeaders()).status, 200);
  // No credential at all is no guess: 401, nothing spent.
  for (int i = 0; i < 5; ++i) {
    ExpectApiError(OneShotFrom("127.0.0.5", server->port(), "GET", "/api/v1/fleets"), 401,
                   "unauthorized");
  }
  EXPECT_EQ(
      OneShotFrom("127.0.0.5", server->port(), "GET", "/api/v1/fleets", AdminHeaders()).status,
      200);
  EXPECT_EQ(Metric(*server, R"(switchboard_auth_failures_total{credential="device_api_key"})"), 3);
  EXPECT_EQ(Metric(*server, R"(switchboard_auth_failures_total{credential="admin_token"})"), 3);
}

TEST_P(AuthFailureLimitTest, ABrokerRelayingWrongDevicePasswordsIsNeverLimited) {
  AddBroker("b", {{"is_default", "1"}});
  auto server = Start();
  const Headers hook = {{"Content-Type", "application/json"},
                        {"Authorization", std::string("Bearer ") + kHookToken}};
  const std::string body =
      R"({"username":"device_)" + NewUuid() + R"(","password":"guess","clientid":"c1"})";
  for (int i = 0; i < 10; ++i) {
    const HttpResponse answer =
        OneShotFrom("127.0.0.2", server->port(), "POST", "/api/v1/mqtt/auth", hook, body);
    ASSERT_EQ(answer.status, 200) << i << ": " << answer.body;
  }
  // A wrong hook token is a failure like any other.
  const Headers wrong = {{"Content-Type", "application/json"},
                         {"Authorization", "Bearer wrong-hook-token-0123456789abcdef0123"}};
  for (int i = 0; i < 3; ++i) {
    ExpectApiError(
        OneShotFrom("127.0.0.3", server->port(), "POST", "/api/v1/mqtt/auth", wrong, body), 401,
        "unauthorized");
  }
  ExpectApiError(OneShotFrom("127.0.0.3", server->port(), "POST", "/api/v1/mqtt/auth", hook, body),
                 429, "too_many_requests");
  EXPECT_EQ(Metric(*server, R"(switchboard_auth_failures_total{credential="hook_token"})"), 3);
}

TEST_P(AuthFailureLimitTest, BehindATrustedProxyTheForwardedClientIsCounted) {
  AddBroker("b", {{"is_default", "1"}});
  const std::string key = AddKey("fleet-a");
  auto server = Start("1h", "  trusted_proxies: [127.0.0.1]\n");
  const Headers client_a = {{"X-Forwarded-For", "203.0.113.1"}};
  const Headers client_b = {{"X-Forwarded-For", "203.0.113.2"}};
  for (int i = 0; i < 3; ++i) {
    ExpectApiError(RegisterFrom("127.0.0.1", *server, kWrongKey, client_a), 401, "unauthorized");
  }
  ExpectApiError(RegisterFrom("127.0.0.1", *server, key, client_a), 429, "too_many_requests");
  // Same proxy, another client: served.
  EXPECT_EQ(RegisterFrom("127.0.0.1", *server, key, client_b).status, 200);
  // A client that writes its own X-Forwarded-For in front of the proxy's
  // entry is still counted as what the proxy saw.
  ExpectApiError(RegisterFrom("127.0.0.1", *server, key,
                              {{"X-Forwarded-For",
                                "198.51.100.9, "
                                "203.0.113.1"}}),
                 429, "too_many_requests");
  // Not a trusted proxy: its header is ignored, it is counted as itself.
  for (int i = 0; i < 3; ++i) {
    ExpectApiError(RegisterFrom("127.0.0.2", *server, kWrongKey, client_b), 401, "unauthorized");
  }
  ExpectApiError(RegisterFrom("127.0.0.2", *server, key, client_b), 429, "too_many_requests");
  EXPECT_EQ(RegisterFrom("127.0.0.1", *server, key, client_b).status, 200);
}

SWITCHBOARD_BOTH_BACKENDS(AuthFailureLimitTest);

}  // namespace
}  // namespace switchboard
