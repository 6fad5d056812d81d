#include "domain/mosquitto_export.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "util/crypto.h"
#include "util/log.h"
#include "process.h"
#include "test_database.h"

namespace switchboard {
namespace {

class MosquittoExportTest : public testing::DatabaseTest {
 protected:
  void AddDevice(const std::string& uuid, const std::string& hash, int active = 1) {
    Exec("INSERT INTO devices (uuid, device_name, device_type, api_key_hash) VALUES ('" + uuid +
         "', 'n', 't', 'x')");
    Exec("INSERT INTO mqtt_users (username, password_hash, device_id, is_active) SELECT 'device_" +
         uuid + "', '" + hash + "', id, " + std::to_string(active) +
         " FROM devices WHERE uuid = '" + uuid + "'");
    Exec("INSERT INTO mqtt_acls (username, topic, access) VALUES ('device_" + uuid +
         "', 'iot/device/" + uuid + "/#', 'readwrite')");
  }

  testing::TempDir dir_;
};

TEST_P(MosquittoExportTest, WritesActiveUsersAndTheirTopics) {
  const std::string hash = MosquittoPasswordHash("secret-password");
  AddDevice("aaaa", hash);
  AddDevice("bbbb", hash, /*active=*/0);
  const std::string passwords = dir_.path() + "/passwd";
  const std::string acls = dir_.path() + "/acl";
  const auto result =
      ExportMosquitto(storage(), {passwords, acls, std::nullopt, nullptr}, ProcessLogger());
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
  ExportMosquitto(storage(), {passwords, acls, std::nullopt, nullptr}, ProcessLogger());
  EXPECT_EQ(testing::ReadFile(passwords), "");
  const auto listing = testing::RunCommand("ls -A " + testing::ShellQuote(dir_.path()));
  EXPECT_EQ(listing.output, "acl\npasswd\n");
}

TEST_P(MosquittoExportTest, UnwritableTargetIsAnErrorAndKeepsNothingHalfWritten) {
  try {
    ExportMosquitto(storage(),
                    {"/nonexistent-dir/passwd", dir_.path() + "/acl", std::nullopt, nullptr},
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
  ExportMosquitto(storage(), {passwords, dir_.path() + "/acl", std::nullopt, nullptr},
                  ProcessLogger());
  const auto result = testing::RunCommand("mosquitto_passwd -U " + testing::ShellQuote(passwords));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(testing::ReadFile(passwords).find("device_cccc:$7$101$"), std::string::npos);
}

SWITCHBOARD_BOTH_BACKENDS(MosquittoExportTest);

}  // namespace
}  // namespace switchboard
