#include "domain/mosquitto_export.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "process.h"
#include "test_database.h"
#include "util/crypto.h"
#include "util/log.h"

namespace switchboard {
namespace {

class MosquittoExportTest : public testing::DatabaseTest {
 protected:
  void AddDevice(const std::string& uuid, const std::string& hash, int active = 1,
                 const std::string& topic_prefix = "iot/device/") {
    Exec("INSERT INTO devices (uuid, device_name, device_type, api_key_hash) VALUES ('" + uuid +
         "', 'n', 't', 'x')");
    Exec("INSERT INTO mqtt_users (username, password_hash, device_id, is_active) SELECT 'device_" +
         uuid + "', '" + hash + "', id, " + std::to_string(active) +
         " FROM devices WHERE uuid = '" + uuid + "'");
    const std::string topic =
        topic_prefix == "devices/" ? "devices/device_" + uuid + "/#" : topic_prefix + uuid + "/#";
    Exec("INSERT INTO mqtt_acls (username, topic, access) VALUES ('device_" + uuid + "', '" +
         topic + "', 'readwrite')");
  }

  static ProvisioningConfig Templates(const std::string& topic) {
    ProvisioningConfig topics;
    topics.publish_topics = {topic};
    topics.subscribe_topics = {topic};
    return topics;
  }

  testing::TempDir dir_;
};

TEST_P(MosquittoExportTest, WritesActiveUsersAndTheirTopics) {
  const std::string hash = MosquittoPasswordHash("secret-password");
  AddDevice("aaaa", hash);
  AddDevice("bbbb", hash, /*active=*/0);
  const std::string passwords = dir_.path() + "/passwd";
  const std::string acls = dir_.path() + "/acl";
  const auto result = ExportMosquitto(
      storage(), {passwords, acls, std::nullopt, nullptr, std::nullopt}, ProcessLogger());
  EXPECT_EQ(result.users, 1);
  EXPECT_EQ(result.acl_entries, 1);
  EXPECT_EQ(testing::ReadFile(passwords), "device_aaaa:" + hash + "\n");
  const std::string acl = testing::ReadFile(acls);
  EXPECT_NE(acl.find("\nuser device_aaaa\ntopic readwrite iot/device/aaaa/#\n"), std::string::npos)
      << acl;
  EXPECT_EQ(acl.find("bbbb"), std::string::npos) << "inactive user exported";
  for (const auto& path : {passwords, acls}) {
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << path;
  }
}

TEST_P(MosquittoExportTest, ReplacesPreviousFilesAndLeavesNoTempFiles) {
  const std::string passwords = dir_.path() + "/passwd";
  const std::string acls = dir_.path() + "/acl";
  testing::WriteFile(passwords, "stale:line\n");
  ExportMosquitto(storage(), {passwords, acls, std::nullopt, nullptr, std::nullopt},
                  ProcessLogger());
  EXPECT_EQ(testing::ReadFile(passwords), "");
  const auto listing = testing::RunCommand("ls -A " + testing::ShellQuote(dir_.path()));
  EXPECT_EQ(listing.output, "acl\npasswd\n");
}

TEST_P(MosquittoExportTest, UnwritableTargetIsAnErrorAndKeepsNothingHalfWritten) {
  try {
    ExportMosquitto(
        storage(),
        {"/nonexistent-dir/passwd", dir_.path() + "/acl", std::nullopt, nullptr, std::nullopt},
        ProcessLogger());
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/passwd"), std::string::npos);
  }
}

TEST_P(MosquittoExportTest, ExportedHashIsAcceptedByMosquittoPasswd) {
  // mosquitto_passwd -U rewrites plain passwords as hashes; a file holding
  // our hash must be left alone (already hashed) and parse as valid.
  AddDevice("cccc", MosquittoPasswordHash("pw-123456789012345"));
  const std::string passwords = dir_.path() + "/passwd";
  ExportMosquitto(storage(), {passwords, dir_.path() + "/acl", std::nullopt, nullptr, std::nullopt},
                  ProcessLogger());
  const auto result = testing::RunCommand("mosquitto_passwd -U " + testing::ShellQuote(passwords));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(testing::ReadFile(passwords).find("device_cccc:$7$101$"), std::string::npos);
}

TEST_P(MosquittoExportTest, TemplatesWithUsernameBecomeAFewPatternLines) {
  const std::string hash = MosquittoPasswordHash("secret-password");
  for (const char* uuid : {"aaaa", "bbbb", "cccc"}) AddDevice(uuid, hash, 1, "devices/");
  const std::string acls = dir_.path() + "/acl";
  MosquittoExportOptions options{dir_.path() + "/passwd", acls, std::nullopt, nullptr,
                                 Templates("devices/{username}/#")};
  const auto result = ExportMosquitto(storage(), options, ProcessLogger());
  EXPECT_TRUE(result.patterns) << result.per_user_reason;
  EXPECT_EQ(result.users, 3);
  EXPECT_EQ(result.acl_entries, 1);
  const std::string acl = testing::ReadFile(acls);
  EXPECT_NE(acl.find("\npattern readwrite devices/%u/#\n"), std::string::npos) << acl;
  EXPECT_EQ(acl.find("user "), std::string::npos) << acl;
}

TEST_P(MosquittoExportTest, PerUserBlocksWhenPatternsCannotSayTheSame) {
  const std::string hash = MosquittoPasswordHash("secret-password");
  AddDevice("aaaa", hash);
  const std::string acls = dir_.path() + "/acl";
  // {uuid}: Mosquitto has no substitution for it.
  MosquittoExportOptions uuid_templates{dir_.path() + "/passwd", acls, std::nullopt, nullptr,
                                        Templates("iot/device/{uuid}/#")};
  auto result = ExportMosquitto(storage(), uuid_templates, ProcessLogger());
  EXPECT_FALSE(result.patterns);
  EXPECT_NE(result.per_user_reason.find("{uuid}"), std::string::npos);
  EXPECT_NE(testing::ReadFile(acls).find("user device_aaaa\ntopic readwrite iot/device/aaaa/#"),
            std::string::npos);
  // {username} templates, but a device registered under other ones.
  AddDevice("bbbb", hash, 1, "devices/");
  MosquittoExportOptions username_templates{dir_.path() + "/passwd", acls, std::nullopt, nullptr,
                                            Templates("devices/{username}/#")};
  result = ExportMosquitto(storage(), username_templates, ProcessLogger());
  EXPECT_FALSE(result.patterns);
  EXPECT_NE(result.per_user_reason.find("differ from the topic templates"), std::string::npos);
  const std::string acl = testing::ReadFile(acls);
  EXPECT_NE(acl.find("user device_bbbb\ntopic readwrite devices/device_bbbb/#"), std::string::npos)
      << acl;
  EXPECT_EQ(acl.find("pattern"), std::string::npos);
}

TEST(MosquittoPatternLinesTest, MergeLikeRegistrationAndRefuseWhatPatternsCannotHold) {
  ProvisioningConfig topics;
  topics.publish_topics = {"up/{username}", "both/{username}/#"};
  topics.subscribe_topics = {"down/{username}/+", "both/{username}/#", "broadcast/all"};
  std::string why;
  const auto lines = MosquittoPatternLines(topics, &why);
  ASSERT_TRUE(lines) << why;
  EXPECT_EQ(*lines,
            (std::vector<std::string>{"pattern write up/%u", "pattern readwrite both/%u/#",
                                      "pattern read down/%u/+", "pattern read broadcast/all"}));
  topics.subscribe_topics = {"a/100%"};
  EXPECT_FALSE(MosquittoPatternLines(topics, &why));
  EXPECT_NE(why.find("'%'"), std::string::npos);
}

SWITCHBOARD_BOTH_BACKENDS(MosquittoExportTest);

}  // namespace
}  // namespace switchboard
