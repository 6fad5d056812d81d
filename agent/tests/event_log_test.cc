#include "event_log.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace switchboard::agent {
namespace {

TEST(EventLogTest, TextLinesCarryEventMessageAndQuotedFields) {
  EventLog log(LogFormat::kText);
  const std::string line =
      log.Format("info", "connected", "connected to the broker",
                 {{"broker", "mqtt://h:1883"}, {"error", "two words\nand a line"}});
  EXPECT_NE(line.find(" info connected: connected to the broker broker=mqtt://h:1883 "),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("error=\"two words and a line\""), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(EventLogTest, JsonLinesAreOneObjectEach) {
  EventLog log(LogFormat::kJson);
  const std::string line = log.Format("warn", "failover", "moving", {{"to", "mqtt://b:1"}});
  rapidjson::Document document;
  document.Parse(line.c_str());
  ASSERT_FALSE(document.HasParseError()) << line;
  EXPECT_STREQ(document["level"].GetString(), "warn");
  EXPECT_STREQ(document["event"].GetString(), "failover");
  EXPECT_STREQ(document["to"].GetString(), "mqtt://b:1");
  EXPECT_TRUE(document.HasMember("time"));
}

TEST(EventLogTest, RegisteredSecretsNeverAppear) {
  for (const LogFormat format : {LogFormat::kText, LogFormat::kJson}) {
    EventLog log(format);
    log.AddSecret("s3cret-password-value");
    const std::string line = log.Format("error", "x", "oops s3cret-password-value here",
                                        {{"detail", "s3cret-password-value"}});
    EXPECT_EQ(line.find("s3cret-password-value"), std::string::npos) << line;
    EXPECT_NE(line.find("***"), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace switchboard::agent
