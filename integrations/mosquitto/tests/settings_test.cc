#include "settings.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_database.h"

namespace switchboard::mosquitto_plugin {
namespace {

using Options = std::vector<std::pair<std::string, std::string>>;

class SettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_file_ = dir_.path() + "/token";
    testing::WriteFile(token_file_, "hook-token-0123456789abcdef0123456789abcdef \n");
  }
  std::vector<std::string> Parse(const Options& options) {
    return ParseSettings(options, settings_);
  }
  std::string Joined(const std::vector<std::string>& problems) {
    std::string out;
    for (const auto& p : problems) out += p + "\n";
    return out;
  }

  testing::TempDir dir_;
  std::string token_file_;
  Settings settings_;
};

TEST_F(SettingsTest, UrlAndTokenFileAloneGiveTheDocumentedDefaults) {
  ASSERT_TRUE(Parse({{"url", "http://127.0.0.1:4002/"}, {"token_file", token_file_}}).empty());
  EXPECT_EQ(settings_.url, "http://127.0.0.1:4002");
  EXPECT_EQ(settings_.token, "hook-token-0123456789abcdef0123456789abcdef");
  EXPECT_EQ(settings_.positive_ttl, Duration(60'000));
  EXPECT_EQ(settings_.negative_ttl, Duration(5'000));
  EXPECT_EQ(settings_.stale_grace, Duration(300'000));
  EXPECT_EQ(settings_.timeout, Duration(2'000));
  EXPECT_EQ(settings_.backoff, Duration(1'000));
  EXPECT_EQ(settings_.cache_size, 100'000u);
}

TEST_F(SettingsTest, EveryOptionIsRead) {
  ASSERT_TRUE(Parse({{"url", "https://sb.example:8443"},
                     {"token_file", token_file_},
                     {"ca_file", token_file_},
                     {"positive_ttl", "2s"},
                     {"negative_ttl", "250ms"},
                     {"stale_grace", "5m"},
                     {"timeout", "1500ms"},
                     {"backoff", "0s"},
                     {"cache_size", "10"}})
                  .empty());
  EXPECT_EQ(settings_.positive_ttl, Duration(2'000));
  EXPECT_EQ(settings_.negative_ttl, Duration(250));
  EXPECT_EQ(settings_.stale_grace, Duration(300'000));
  EXPECT_EQ(settings_.timeout, Duration(1'500));
  EXPECT_EQ(settings_.backoff, Duration(0));
  EXPECT_EQ(settings_.cache_size, 10u);
  EXPECT_EQ(settings_.ca_file, token_file_);
}

TEST_F(SettingsTest, EveryProblemIsReportedAtOnceNamingTheOption) {
  settings_.url = "unchanged";
  const auto problems = Parse({{"url", "ftp://x"},
                               {"positive_ttl", "60"},
                               {"negative_ttl", "5 s"},
                               {"timeout", "0ms"},
                               {"cache_size", "-3"},
                               {"postive_ttl", "1s"},
                               {"stale_grace", "1s"},
                               {"stale_grace", "2s"},
                               {"ca_file", dir_.path() + "/missing.pem"}});
  const std::string text = Joined(problems);
  EXPECT_NE(text.find("plugin_opt_url must be http://"), std::string::npos) << text;
  EXPECT_NE(text.find("plugin_opt_positive_ttl must be a duration with a unit"), std::string::npos)
      << text;
  EXPECT_NE(text.find("plugin_opt_negative_ttl"), std::string::npos) << text;
  EXPECT_NE(text.find("plugin_opt_timeout must be at least 1ms"), std::string::npos) << text;
  EXPECT_NE(text.find("plugin_opt_cache_size"), std::string::npos) << text;
  EXPECT_NE(text.find("unknown option plugin_opt_postive_ttl (known: url, token_file"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("plugin_opt_stale_grace is given twice"), std::string::npos) << text;
  EXPECT_NE(text.find("plugin_opt_ca_file: cannot read"), std::string::npos) << text;
  EXPECT_NE(text.find("plugin_opt_token_file is required"), std::string::npos) << text;
  EXPECT_EQ(settings_.url, "unchanged") << "a failed parse must not change the settings";
}

TEST_F(SettingsTest, MissingUrlAndUnusableTokenFilesAreRefused) {
  EXPECT_NE(Joined(Parse({{"token_file", token_file_}})).find("plugin_opt_url is required"),
            std::string::npos);
  EXPECT_NE(Joined(Parse({{"url", "http://h:1"}, {"token_file", dir_.path() + "/none"}}))
                .find("cannot read"),
            std::string::npos);
  testing::WriteFile(token_file_, "short\n");
  EXPECT_NE(Joined(Parse({{"url", "http://h:1"}, {"token_file", token_file_}}))
                .find("at least 32 characters"),
            std::string::npos);
  testing::WriteFile(token_file_, "");
  EXPECT_FALSE(Parse({{"url", "http://h:1"}, {"token_file", token_file_}}).empty());
  for (const char* url : {"http://", "127.0.0.1:4002", "http://h:1/x?y", "http://h 1"}) {
    testing::WriteFile(token_file_, std::string(40, 't'));
    EXPECT_FALSE(Parse({{"url", url}, {"token_file", token_file_}}).empty()) << url;
  }
}

TEST_F(SettingsTest, DurationsNeedAUnit) {
  Duration d{};
  EXPECT_TRUE(ParseDuration("1h", d));
  EXPECT_EQ(d, Duration(3'600'000));
  EXPECT_TRUE(ParseDuration("0ms", d));
  EXPECT_EQ(d, Duration(0));
  for (const char* bad : {"", "10", "s", "1.5s", "-1s", "1sec", "10 ms", "9999999999s"}) {
    EXPECT_FALSE(ParseDuration(bad, d)) << bad;
  }
}

}  // namespace
}  // namespace switchboard::mosquitto_plugin
