// The route table (server/api/route_table.cc): every route has the
// authentication its URL space calls for, and InstallRoutes applies it to
// every route of a real in-process server.
#include "api/route_table.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>

#include "in_process_api.h"

namespace switchboard {
namespace {

using testing::HttpResponse;
using testing::InProcessApi;
using testing::OneShot;

// A concrete target for a pattern: ":uuid" and ":id" filled in.
std::string Target(std::string_view pattern) {
  std::string out;
  std::size_t pos = 0;
  while (pos < pattern.size()) {
    const std::size_t colon = pattern.find(':', pos);
    if (colon == std::string_view::npos) {
      out += pattern.substr(pos);
      break;
    }
    out += pattern.substr(pos, colon - pos);
    std::size_t end = pattern.find('/', colon);
    if (end == std::string_view::npos) end = pattern.size();
    out += pattern.substr(colon, end - colon) == ":uuid" ? "0b7e4d2c-1a2b-4c3d-8e9f-000000000001"
                                                         : "1";
    pos = end;
  }
  return out;
}

std::string Describe(const Route& route) {
  return std::string(route.method) + " " + route.pattern + " (" + RouteAuthName(route.auth) + ")";
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

TEST(RouteTableTest, EveryRouteHasTheAuthenticationOfItsUrlSpace) {
  std::size_t admin = 0, open = 0, device = 0, broker = 0;
  for (const Route& route : RouteTable()) {
    const std::string_view pattern = route.pattern;
    ASSERT_NE(route.handler, nullptr) << Describe(route);
    if (pattern == "/healthz" || pattern == "/readyz" || pattern == "/metrics" ||
        pattern == "/api/v1/openapi.yaml") {
      EXPECT_EQ(route.auth, RouteAuth::kNone) << Describe(route);
      ++open;
    } else if (StartsWith(pattern, "/api/v1/device/")) {
      // The device side: its own credentials, never open, never the admin's.
      EXPECT_TRUE(route.auth == RouteAuth::kProvisioningKey ||
                  route.auth == RouteAuth::kDeviceApiKey)
          << Describe(route);
      ++device;
    } else if (pattern == "/api/v1/mqtt/auth" || pattern == "/api/v1/mqtt/acl") {
      // What brokers call: the hook token, never the admin's.
      EXPECT_EQ(route.auth, RouteAuth::kHookToken) << Describe(route);
      ++broker;
    } else {
      // Everything else is the operator's.
      EXPECT_TRUE(StartsWith(pattern, "/api/v1/")) << Describe(route);
      EXPECT_EQ(route.auth, RouteAuth::kAdminToken) << Describe(route);
      ++admin;
    }
  }
  EXPECT_EQ(open, 4u);
  EXPECT_EQ(device, 3u);  // register, the config fetch, the state report
  EXPECT_EQ(broker, 2u);
  EXPECT_GT(admin, 0u);
}

TEST(RouteTableTest, NoRouteIsListedTwice) {
  std::set<std::string> seen;
  for (const Route& route : RouteTable()) {
    EXPECT_TRUE(seen.insert(std::string(route.method) + " " + route.pattern).second)
        << Describe(route);
  }
}

class InstalledRoutesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { api_ = new InProcessApi; }
  static void TearDownTestSuite() {
    delete api_;
    api_ = nullptr;
  }
  static HttpResponse Send(const Route& route, const testing::Headers& headers) {
    return OneShot(api_->port(), route.method, Target(route.pattern), headers);
  }
  static InProcessApi* api_;
};

InProcessApi* InstalledRoutesTest::api_ = nullptr;

TEST_F(InstalledRoutesTest, EveryAuthenticatedRouteRefusesAMissingCredential) {
  for (const Route& route : RouteTable()) {
    if (route.auth == RouteAuth::kNone) continue;
    const HttpResponse response = Send(route, {});
    EXPECT_EQ(response.status, 401) << Describe(route) << ": " << response.body;
    EXPECT_EQ(response.Header("WWW-Authenticate").value_or(""), "Bearer") << Describe(route);
    EXPECT_NE(response.body.find(R"("code":"unauthorized")"), std::string::npos)
        << Describe(route) << ": " << response.body;
  }
}

TEST_F(InstalledRoutesTest, AdminRoutesRefuseAWrongTokenAndAcceptTheRightOne) {
  for (const Route& route : RouteTable()) {
    if (route.auth != RouteAuth::kAdminToken) continue;
    const HttpResponse wrong =
        Send(route, {{"Authorization", "Bearer not-the-admin-token-0123456789abcdef"}});
    EXPECT_EQ(wrong.status, 401) << Describe(route);
    EXPECT_NE(wrong.body.find("invalid admin token"), std::string::npos) << wrong.body;
    // Past authentication: whatever the handler answers (404 for a missing
    // row, 400 for a missing body), it is not 401.
    const HttpResponse right =
        Send(route, {{"Authorization", std::string("Bearer ") + testing::kTestAdminToken}});
    EXPECT_NE(right.status, 401) << Describe(route) << ": " << right.body;
    EXPECT_LT(right.status, 500) << Describe(route) << ": " << right.body;
  }
}

TEST_F(InstalledRoutesTest, DeviceRoutesPassThePresentedKeyToTheDomain) {
  // A key is present, so the route lets the request through; the domain
  // then refuses the unknown key with its own 401 message.
  for (const Route& route : RouteTable()) {
    if (route.auth != RouteAuth::kProvisioningKey && route.auth != RouteAuth::kDeviceApiKey) {
      continue;
    }
    const HttpResponse response =
        OneShot(api_->port(), route.method, Target(route.pattern),
                {{"Authorization", "Bearer some-unknown-key-0123456789"},
                 {"Content-Type", "application/json"}},
                R"({"uuid":"0b7e4d2c-1a2b-4c3d-8e9f-000000000001","deviceName":"d",)"
                R"("deviceType":"t","deviceApiKey":"device-api-key-0123456789"})");
    EXPECT_EQ(response.status, 401) << Describe(route);
    EXPECT_EQ(response.body.find("required"), std::string::npos) << response.body;
  }
  // The device API key may also come as X-Device-API-Key.
  const HttpResponse header_key =
      OneShot(api_->port(), "GET", "/api/v1/device/0b7e4d2c-1a2b-4c3d-8e9f-000000000001/mqtt",
              {{"X-Device-API-Key", "device-api-key-0123456789"}});
  EXPECT_EQ(header_key.status, 401);
  EXPECT_NE(header_key.body.find("unknown device or wrong device API key"), std::string::npos)
      << header_key.body;
}

TEST_F(InstalledRoutesTest, HookRoutesPassThePresentedTokenToTheDomain) {
  for (const Route& route : RouteTable()) {
    if (route.auth != RouteAuth::kHookToken) continue;
    const std::string body =
        R"({"username":"u","password":"p","clientid":"c","topic":"t","action":"publish"})";
    auto send = [&](const std::string& token) {
      return OneShot(api_->port(), route.method, Target(route.pattern),
                     {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                     body);
    };
    // Present, so the route lets it through; the domain refuses it.
    const HttpResponse unknown = send("some-unknown-hook-token-0123456789");
    EXPECT_EQ(unknown.status, 401) << Describe(route);
    EXPECT_NE(unknown.body.find("invalid hook token"), std::string::npos) << unknown.body;
    const HttpResponse admin = send(testing::kTestAdminToken);
    EXPECT_EQ(admin.status, 401) << Describe(route);
    EXPECT_NE(admin.body.find("the admin token is not accepted here"), std::string::npos)
        << admin.body;
  }
}

TEST_F(InstalledRoutesTest, OpenRoutesNeedNoCredential) {
  for (const Route& route : RouteTable()) {
    if (route.auth != RouteAuth::kNone) continue;
    EXPECT_EQ(Send(route, {}).status, 200) << Describe(route);
  }
}

TEST_F(InstalledRoutesTest, AllowListsAPatternsMethodsInTableOrder) {
  const HttpResponse response = OneShot(api_->port(), "PATCH", "/api/v1/mqtt/brokers/1",
                                        {{"Authorization", "Bearer whatever"}});
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.Header("Allow").value_or(""), "GET, PUT, DELETE");
  EXPECT_EQ(
      OneShot(api_->port(), "DELETE", "/api/v1/provisioning-keys").Header("Allow").value_or(""),
      "POST, GET");
}

}  // namespace
}  // namespace switchboard
