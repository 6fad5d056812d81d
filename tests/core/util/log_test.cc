// The two log formats: every line one line, JSON lines valid JSON with the
// request id and the structured fields, whatever a message holds. Buffered
// lines: written late, but never lost and never out of order.
#include "util/log.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <fstream>
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

// A file for a logger to write to (appending, so reading it from the test
// thread never moves where the logger writes), and what it holds.
class LoggedFile {
 public:
  LoggedFile() {
    char path[] = "/tmp/switchboard-log-test.XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) return;
    path_ = path;
    file_ = fdopen(fd, "a");
  }
  ~LoggedFile() {
    if (file_ != nullptr) std::fclose(file_);
    if (!path_.empty()) std::remove(path_.c_str());
  }
  std::FILE* file() const { return file_; }

  // The messages written so far: each line after its timestamp and level.
  std::vector<std::string> Messages() const {
    std::vector<std::string> messages;
    std::ifstream in(path_);
    for (std::string line; std::getline(in, line);) {
      const auto level_end = line.find(' ', line.find(' ') + 1);
      messages.push_back(line.substr(level_end + 1));
    }
    return messages;
  }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
};

TEST(BufferedLogTest, BufferedLinesWaitUntilFlushAndImmediateLinesKeepTheOrder) {
  LoggedFile out;
  ASSERT_NE(out.file(), nullptr);
  StderrLogger log(LogLevel::kInfo, out.file());
  log.WriteBuffered(LogLevel::kInfo, "first");
  log.WriteBuffered(LogLevel::kInfo, "second");
  // An immediate line writes the buffered ones before itself.
  log.Info("third");
  EXPECT_EQ(out.Messages(), (std::vector<std::string>{"first", "second", "third"}));
  log.WriteBuffered(LogLevel::kInfo, "fourth");
  log.Flush();
  EXPECT_EQ(out.Messages().back(), "fourth");
}

TEST(BufferedLogTest, WarningsAreNeverBuffered) {
  LoggedFile out;
  ASSERT_NE(out.file(), nullptr);
  StderrLogger log(LogLevel::kInfo, out.file());
  log.WriteBuffered(LogLevel::kInfo, "held");
  log.WriteBuffered(LogLevel::kWarn, "a 5xx request");
  EXPECT_EQ(out.Messages(), (std::vector<std::string>{"held", "a 5xx request"}));
}

TEST(BufferedLogTest, TheFlusherWritesWithoutAnyOtherLine) {
  LoggedFile out;
  ASSERT_NE(out.file(), nullptr);
  StderrLogger log(LogLevel::kInfo, out.file());
  log.WriteBuffered(LogLevel::kInfo, "alone");
  // No bound is asserted: the line must arrive, however slow the machine.
  for (int i = 0; i < 600 && out.Messages().empty(); ++i) {
    std::this_thread::sleep_for(StderrLogger::kFlushInterval / 2);
  }
  EXPECT_EQ(out.Messages(), std::vector<std::string>{"alone"});
}

TEST(BufferedLogTest, AFullBufferIsWrittenAtOnceAndTheDestructorWritesTheRest) {
  LoggedFile out;
  ASSERT_NE(out.file(), nullptr);
  const std::string message(1000, 'x');
  std::size_t written_while_open = 0;
  {
    StderrLogger log(LogLevel::kInfo, out.file());
    const std::size_t lines = StderrLogger::kFlushBytes / message.size() + 2;
    for (std::size_t i = 0; i < lines; ++i) log.WriteBuffered(LogLevel::kInfo, message);
    written_while_open = out.Messages().size();
    EXPECT_GT(written_while_open, 0u) << "nothing written after more than kFlushBytes";
    log.WriteBuffered(LogLevel::kInfo, "last");
  }
  const auto messages = out.Messages();
  ASSERT_FALSE(messages.empty());
  EXPECT_EQ(messages.back(), "last");
  EXPECT_EQ(messages.size(), StderrLogger::kFlushBytes / message.size() + 3);
}

TEST(BufferedLogTest, LinesBelowTheMinimumLevelAreDropped) {
  LoggedFile out;
  ASSERT_NE(out.file(), nullptr);
  {
    StderrLogger log(LogLevel::kWarn, out.file());
    log.WriteBuffered(LogLevel::kInfo, "dropped");
  }
  EXPECT_TRUE(out.Messages().empty());
}

}  // namespace
}  // namespace switchboard
