#include "options.h"

#include <gtest/gtest.h>

namespace switchboard::agent {
namespace {

std::optional<Options> Parse(std::vector<std::string> args, std::string* error) {
  return ParseOptions(args, error);
}

TEST(OptionsTest, EveryOptionIsRead) {
  std::string error;
  const auto options =
      Parse({"--server", "https://sb.example.com:4002/", "--provisioning-key-file=/k",
             "--state-dir", "/var/lib/a", "--name", "boiler-1", "--type", "thermostat", "--region",
             "eu", "--api-ca", "/ca.pem", "--once", "--log-format", "json"},
            &error);
  ASSERT_TRUE(options) << error;
  EXPECT_EQ(options->server, "https://sb.example.com:4002/");
  EXPECT_EQ(options->provisioning_key_file, "/k");
  EXPECT_EQ(options->state_dir, "/var/lib/a");
  EXPECT_EQ(options->name, "boiler-1");
  EXPECT_EQ(options->type, "thermostat");
  EXPECT_EQ(options->region, "eu");
  EXPECT_EQ(options->api_ca, "/ca.pem");
  EXPECT_TRUE(options->once);
  EXPECT_EQ(options->log_format, LogFormat::kJson);
}

TEST(OptionsTest, DefaultsAndPrintState) {
  std::string error;
  const auto options =
      Parse({"--server", "http://h", "--provisioning-key-file", "k", "--state-dir", "d"}, &error);
  ASSERT_TRUE(options) << error;
  EXPECT_EQ(options->type, "switchboard-agent");
  EXPECT_EQ(options->log_format, LogFormat::kText);
  EXPECT_FALSE(options->once);
  const auto print = Parse({"--state-dir", "d", "--print-state"}, &error);
  ASSERT_TRUE(print) << error;
  EXPECT_TRUE(print->print_state);
}

TEST(OptionsTest, UsageErrorsSayWhatIsWrong) {
  const struct {
    std::vector<std::string> args;
    const char* error;
  } cases[] = {
      {{}, "--state-dir is required"},
      {{"--state-dir", "d", "--provisioning-key-file", "k"}, "--server is required"},
      {{"--state-dir", "d", "--server", "http://h"}, "--provisioning-key-file is required"},
      {{"--state-dir", "d", "--server", "ftp://h", "--provisioning-key-file", "k"}, "http://"},
      {{"--state-dir", "d", "--server", "http://u:p@h", "--provisioning-key-file", "k"},
       "credentials"},
      {{"--state-dir", "d", "--server", "http://h?x", "--provisioning-key-file", "k"}, "query"},
      {{"--state-dir"}, "--state-dir needs a value"},
      {{"--state-dir", "d", "--log-format", "xml"}, "text or json"},
      {{"--bogus"}, "unknown option --bogus"},
      {{"--once=yes"}, "takes no value"},
  };
  for (const auto& c : cases) {
    std::string error;
    EXPECT_FALSE(Parse(c.args, &error));
    EXPECT_NE(error.find(c.error), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace switchboard::agent
