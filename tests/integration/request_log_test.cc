// The request log and request ids against the real server: X-Request-Id
// accepted when well-formed and echoed, made up otherwise; one request line
// per response with the route pattern (never the raw path); the id on every
// line about the request, a plugin's included; JSON lines valid JSON.
#include <gtest/gtest.h>
#include <signal.h>

#include <sstream>
#include <string>
#include <vector>

#include "device_api_test_support.h"

namespace switchboard {
namespace {

using testing::DeviceApiTest;
using testing::HttpResponse;
using testing::NewUuid;
using testing::OneShot;
using testing::RegistrationBody;
using testing::ServeOptions;
using testing::SwitchboardProcess;

constexpr char kClientId[] = "client-req-0001:a_b.c";

class RequestLogTest : public DeviceApiTest {
 protected:
  // A chain whose middle step logs one line through context.log().
  std::unique_ptr<SwitchboardProcess> Start(const std::string& format) {
    auto options = ServeOptions(url());
    options.server_yaml = "  log_format: " + format + "\n";
    options.resolution_yaml = std::string("resolution:\n  plugin_dirs: [\"") +
                              SWITCHBOARD_PLUGIN_DIR + "\", \"" + SWITCHBOARD_TEST_PLUGIN_DIR +
                              "\"]\n  chain:\n    - plugin: device\n    - plugin: scripted\n"
                              "      params: {outcome: pass, log: true}\n"
                              "    - plugin: default\n";
    return SwitchboardProcess::Start(options);
  }

  HttpResponse RegisterWithId(const SwitchboardProcess& server, const std::string& key,
                              const std::string& uuid, const std::string& request_id) {
    testing::Headers headers = testing::JsonHeaders(key);
    headers.push_back({"X-Request-Id", request_id});
    return OneShot(server.port(), "POST", "/api/v1/device/register", headers,
                   RegistrationBody(uuid));
  }

  static std::vector<std::string> Lines(const std::string& log) {
    std::vector<std::string> lines;
    std::istringstream in(log);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  static bool IsFreshId(const std::string& id) {
    return id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
  }
};

TEST_P(RequestLogTest, JsonLinesCarryTheRequestIdOnRequestAndPluginLines) {
  AddBroker("primary", {{"is_default", "1"}});
  const std::string key = AddKey("fleet-a");
  auto server = Start("json");
  const std::string uuid = NewUuid();

  const HttpResponse registered = RegisterWithId(*server, key, uuid, kClientId);
  ASSERT_EQ(registered.status, 200) << registered.body;
  EXPECT_EQ(registered.Header("X-Request-Id").value_or(""), kClientId);
  // A malformed id is replaced; the route is the pattern, not the path.
  const HttpResponse explained =
      OneShot(server->port(), "GET", "/api/v1/devices/" + uuid + "/resolution",
              {{"Authorization", std::string("Bearer ") + testing::kTestAdminToken},
               {"X-Request-Id", "two words"}});
  ASSERT_EQ(explained.status, 200) << explained.body;
  const std::string fresh = explained.Header("X-Request-Id").value_or("");
  EXPECT_TRUE(IsFreshId(fresh)) << fresh;
  // Unmatched routes and errors get ids too.
  const HttpResponse missing = OneShot(server->port(), "GET", "/nowhere");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(IsFreshId(missing.Header("X-Request-Id").value_or(""))) << missing.body;
  EXPECT_EQ(server->Stop(SIGTERM), 0);

  int json_lines = 0, plugin_lines = 0, register_lines = 0, explain_lines = 0;
  for (const std::string& line : Lines(server->Log())) {
    if (line.empty() || line[0] != '{') continue;  // the startup banner is on stdout
    ++json_lines;
    rapidjson::Document json;
    json.Parse<rapidjson::kParseValidateEncodingFlag>(line.c_str(), line.size());
    ASSERT_FALSE(json.HasParseError()) << line;
    ASSERT_TRUE(json.IsObject() && json.HasMember("ts") && json["ts"].IsString() &&
                json.HasMember("level") && json["level"].IsString() && json.HasMember("msg") &&
                json["msg"].IsString())
        << line;
    const std::string msg = json["msg"].GetString();
    const std::string id = json.HasMember("request_id") && json["request_id"].IsString()
                               ? json["request_id"].GetString()
                               : "";
    if (msg == "plugin/scripted: resolving") {
      ++plugin_lines;
      EXPECT_TRUE(id == kClientId || id == fresh) << line;
    }
    if (msg != "request") continue;
    for (const char* member : {"request_id", "route", "method", "remote"}) {
      ASSERT_TRUE(json.HasMember(member) && json[member].IsString()) << member << ": " << line;
    }
    ASSERT_TRUE(json.HasMember("status") && json["status"].IsInt()) << line;
    ASSERT_TRUE(json.HasMember("duration_ms") && json["duration_ms"].IsNumber()) << line;
    EXPECT_GE(json["duration_ms"].GetDouble(), 0.0) << line;
    EXPECT_STREQ(json["remote"].GetString(), "127.0.0.1") << line;
    const std::string route = json["route"].GetString();
    EXPECT_EQ(route.find(uuid), std::string::npos) << "raw path logged: " << line;
    if (route == "/api/v1/device/register") {
      ++register_lines;
      EXPECT_EQ(id, kClientId) << line;
      EXPECT_STREQ(json["method"].GetString(), "POST");
      EXPECT_EQ(json["status"].GetInt(), 200);
    }
    if (route == "/api/v1/devices/:uuid/resolution") {
      ++explain_lines;
      EXPECT_EQ(id, fresh) << line;
      EXPECT_STREQ(json["method"].GetString(), "GET");
    }
  }
  EXPECT_GT(json_lines, 0) << server->Log();
  EXPECT_EQ(register_lines, 1) << server->Log();
  EXPECT_EQ(explain_lines, 1) << server->Log();
  // Registration and explain each ran the scripted step once.
  EXPECT_EQ(plugin_lines, 2) << server->Log();
}

TEST_P(RequestLogTest, TextLinesCarryTheSameFields) {
  AddBroker("primary", {{"is_default", "1"}});
  const std::string key = AddKey("fleet-a");
  auto server = Start("text");
  const HttpResponse registered = RegisterWithId(*server, key, NewUuid(), kClientId);
  ASSERT_EQ(registered.status, 200) << registered.body;
  EXPECT_EQ(registered.Header("X-Request-Id").value_or(""), kClientId);
  EXPECT_EQ(server->Stop(SIGTERM), 0);

  bool request_line = false, plugin_line = false;
  for (const std::string& line : Lines(server->Log())) {
    if (line.find(std::string("request_id=") + kClientId) == std::string::npos) continue;
    plugin_line = plugin_line || line.find(" INFO plugin/scripted: resolving") != std::string::npos;
    if (line.find(" INFO request method=POST route=/api/v1/device/register status=200 "
                  "duration_ms=") != std::string::npos &&
        line.find(" remote=127.0.0.1 ") != std::string::npos) {
      request_line = true;
    }
  }
  EXPECT_TRUE(request_line) << server->Log();
  EXPECT_TRUE(plugin_line) << server->Log();
}

SWITCHBOARD_BOTH_BACKENDS(RequestLogTest);

}  // namespace
}  // namespace switchboard
