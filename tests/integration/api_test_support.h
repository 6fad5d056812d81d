// Helpers for the operator API integration tests: requests against a real
// `switchboard serve`, JSON bodies read with RapidJSON, exact field lists.
#pragma once

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard_process.h"

namespace switchboard::testing {

inline const Headers& AdminHeaders() {
  static const Headers headers = {{"Authorization", std::string("Bearer ") + kTestAdminToken}};
  return headers;
}

// An admin request with a JSON body of any content (malformed included).
inline HttpResponse AdminJson(const SwitchboardProcess& server, std::string_view method,
                              std::string_view target, std::string_view body) {
  Headers headers = AdminHeaders();
  headers.push_back({"Content-Type", "application/json"});
  return OneShot(server.port(), method, target, headers, body);
}

// Parses a response body; a body that is not JSON fails the test.
inline rapidjson::Document Json(const HttpResponse& response) {
  rapidjson::Document document;
  document.Parse(response.body.c_str(), response.body.size());
  EXPECT_FALSE(document.HasParseError())
      << rapidjson::GetParseError_En(document.GetParseError()) << ": " << response.body;
  return document;
}

// `text` as a JSON string, quotes included: quotes, backslashes and
// newlines (a PEM's) escaped; other control characters are left as they are.
inline std::string JsonQuoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out + "\"";
}

inline std::vector<std::string> MemberNames(const rapidjson::Value& object) {
  std::vector<std::string> names;
  if (!object.IsObject()) return names;
  for (const auto& member : object.GetObject()) names.emplace_back(member.name.GetString());
  return names;
}

inline std::string String(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject() || !object.HasMember(name) || !object[name].IsString()) return "<none>";
  return object[name].GetString();
}

inline std::int64_t Int(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject() || !object.HasMember(name) || !object[name].IsInt64()) return -999;
  return object[name].GetInt64();
}

inline bool IsNull(const rapidjson::Value& object, const char* name) {
  return object.IsObject() && object.HasMember(name) && object[name].IsNull();
}

// Expects an API error: the status, `error.code` and (when not empty)
// `error.field`.
inline void ExpectError(const HttpResponse& response, int status, std::string_view code,
                        std::string_view field = {}) {
  EXPECT_EQ(response.status, status) << response.body;
  EXPECT_EQ(response.Header("Content-Type").value_or(""), "application/json") << response.body;
  rapidjson::Document body = Json(response);
  ASSERT_TRUE(body.IsObject() && body.HasMember("error")) << response.body;
  EXPECT_EQ(String(body["error"], "code"), code) << response.body;
  if (!field.empty()) {
    EXPECT_EQ(String(body["error"], "field"), field) << response.body;
  }
}

// Expects 401 for the request without a token and with a wrong one.
inline void ExpectAdminOnly(const SwitchboardProcess& server, std::string_view method,
                            std::string_view target, std::string_view body = {}) {
  Headers json = {{"Content-Type", "application/json"}};
  const HttpResponse none = OneShot(server.port(), method, target, json, body);
  ExpectError(none, 401, "unauthorized");
  EXPECT_EQ(none.Header("WWW-Authenticate").value_or(""), "Bearer");
  json.push_back({"Authorization", "Bearer not-the-admin-token-0123456789abcdef"});
  ExpectError(OneShot(server.port(), method, target, json, body), 401, "unauthorized");
}

// POST /api/v1/provisioning-keys; returns the key (fails the test when not
// 201).
inline std::string CreateKey(const SwitchboardProcess& server, const std::string& fleet,
                             const std::string& extra = "") {
  const HttpResponse r =
      server.Admin("POST", "/api/v1/provisioning-keys",
                   R"({"fleetId":")" + fleet + "\"" + (extra.empty() ? "" : "," + extra) + "}");
  EXPECT_EQ(r.status, 201) << r.body;
  return String(Json(r), "key");
}

// POST /api/v1/device/register with `key`.
inline HttpResponse Register(const SwitchboardProcess& server, const std::string& key,
                             const std::string& uuid,
                             const std::string& api_key = "device-api-key-0123456789") {
  const std::string body = R"({"uuid":")" + uuid + R"(","deviceName":"dev","deviceType":"pi",)" +
                           R"("deviceApiKey":")" + api_key + "\"}";
  return OneShot(server.port(), "POST", "/api/v1/device/register",
                 {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}}, body);
}

// A canonical uuid whose last group is `n`.
inline std::string TestUuid(int n) {
  char tail[13];
  std::snprintf(tail, sizeof tail, "%012d", n);
  return std::string("0b7e4d2c-1a2b-4c3d-8e9f-") + tail;
}

// Creates a default broker so registrations resolve; returns its id.
inline std::int64_t CreateDefaultBroker(const SwitchboardProcess& server,
                                        const std::string& name = "default-broker") {
  const HttpResponse r =
      server.Admin("POST", "/api/v1/mqtt/brokers",
                   R"({"name":")" + name + R"(","host":"mqtt.example.com","is_default":true})");
  EXPECT_EQ(r.status, 201) << r.body;
  return Int(Json(r), "id");
}

}  // namespace switchboard::testing
