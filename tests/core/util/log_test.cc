// The two log formats: every line one line, JSON lines valid JSON with the
// request id and the structured fields, whatever a message holds.
#include "util/log.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <thread>
#include <vector>

namespace switchboard {
namespace {

constexpr char kTs[] = "2026-12-05T06:00:00.000Z";

rapidjson::Document ParseLine(const std::string& line) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseValidateEncodingFlag>(line.c_str(), line.size());
  EXPECT_FALSE(document.HasParseError()) << line;
  return document;
}

TEST(LogFormatTest, JsonLineCarriesTsLevelMsgRequestIdAndTypedFields) {
  const std::vector<LogField> fields = {
      {"route", "/api/v1/devices/:uuid"}, {"status", "404", true}, {"duration_ms", "1.250", true}};
  const std::string line =
      FormatLogLine(LogFormat::kJson, kTs, LogLevel::kWarn, "request", fields, "abc-123");
  const rapidjson::Document json = ParseLine(line);
  ASSERT_TRUE(json.IsObject()) << line;
  EXPECT_STREQ(json["ts"].GetString(), kTs);
  EXPECT_STREQ(json["level"].GetString(), "warn");
  EXPECT_STREQ(json["msg"].GetString(), "request");
  EXPECT_STREQ(json["request_id"].GetString(), "abc-123");
  EXPECT_STREQ(json["route"].GetString(), "/api/v1/devices/:uuid");
  ASSERT_TRUE(json["status"].IsInt()) << line;
  EXPECT_EQ(json["status"].GetInt(), 404);
  ASSERT_TRUE(json["duration_ms"].IsNumber()) << line;
  EXPECT_DOUBLE_EQ(json["duration_ms"].GetDouble(), 1.25);
}

TEST(LogFormatTest, JsonLineWithoutRequestIdHasNoSuchMember) {
  const std::string line = FormatLogLine(LogFormat::kJson, kTs, LogLevel::kInfo, "stopped", {}, "");
  const rapidjson::Document json = ParseLine(line);
  EXPECT_FALSE(json.HasMember("request_id")) << line;
  EXPECT_STREQ(json["level"].GetString(), "info");
}

TEST(LogFormatTest, HostileMessagesStayOneValidJsonLine) {
  // A plugin's reason may hold quotes, backslashes, newlines, control bytes
  // and bytes that are not UTF-8.
  const std::string hostile = std::string("a \"quoted\" \\ back\nslash\r\t\x01 end \xff\xfe ") +
                              "caf\xc3\xa9 \xe2\x82\xac \xed\xa0\x80";
  const std::string line = FormatLogLine(LogFormat::kJson, kTs, LogLevel::kError, hostile,
                                         std::vector<LogField>{{"k\"ey", hostile}}, "id");
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\r'), std::string::npos);
  const rapidjson::Document json = ParseLine(line);
  ASSERT_TRUE(json.IsObject()) << line;
  const std::string msg = json["msg"].GetString();
  EXPECT_NE(msg.find("a \"quoted\" \\ back\nslash\r\t\x01 end "), std::string::npos) << msg;
  EXPECT_NE(msg.find("caf\xc3\xa9 \xe2\x82\xac"), std::string::npos) << msg;  // valid UTF-8 kept
  EXPECT_NE(msg.find("\xef\xbf\xbd"), std::string::npos) << msg;  // invalid bytes: U+FFFD
  EXPECT_EQ(msg.find('\xff'), std::string::npos) << msg;
  EXPECT_TRUE(json.HasMember("k\"ey")) << line;
}

TEST(LogFormatTest, TextLineIsOneLineWithKeyValueFieldsAndTheRequestIdLast) {
  const std::vector<LogField> fields = {{"method", "GET"},
                                        {"route", "/healthz"},
                                        {"status", "200", true},
                                        {"note", "two words \"and\" a=b"}};
  const std::string line =
      FormatLogLine(LogFormat::kText, kTs, LogLevel::kInfo, "request\nsplit", fields, "rid-1");
  EXPECT_EQ(line, std::string(kTs) +
                      " INFO request\\nsplit method=GET route=/healthz status=200 "
                      "note=\"two words \\\"and\\\" a=b\" request_id=rid-1");
}

TEST(ScopedRequestIdTest, TagsThisThreadOnlyAndNestingRestores) {
  EXPECT_EQ(ScopedRequestId::Current(), "");
  {
    const ScopedRequestId outer("outer");
    EXPECT_EQ(ScopedRequestId::Current(), "outer");
    std::string seen_elsewhere = "unset";
    std::thread([&seen_elsewhere] { seen_elsewhere = ScopedRequestId::Current(); }).join();
    EXPECT_EQ(seen_elsewhere, "");
    {
      const ScopedRequestId inner("inner");
      EXPECT_EQ(ScopedRequestId::Current(), "inner");
    }
    EXPECT_EQ(ScopedRequestId::Current(), "outer");
  }
  EXPECT_EQ(ScopedRequestId::Current(), "");
}

}  // namespace
}  // namespace switchboard
