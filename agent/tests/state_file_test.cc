// The state file: atomic replacement, mode 0600, a corrupt file refused
// (naming it) and left exactly as it was, and a round trip of every field.
#include "state_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "identity.h"

namespace switchboard::agent {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "agent-state-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

AgentState Registered() {
  AgentState state;
  state.uuid = NewUuidV4();
  state.device_key = NewDeviceKey();
  state.device_name = "boiler \"1\"";
  state.device_type = "thermostat";
  state.region = "eu-west";
  state.server = "https://switchboard.example.com";
  state.registered = true;
  state.mqtt_username = "device_" + state.uuid;
  state.mqtt_password = "mqtt-password-0123456789";
  state.config_json = R"({"username":"device_x","broker":"mqtt://h:1883","topics":{}})";
  return state;
}

TEST(StateFileTest, NoFileIsNoState) {
  TempDir dir;
  EXPECT_FALSE(StateFile(dir.path() + "/missing/dir").Load());
}

TEST(StateFileTest, SaveThenLoadGivesEveryFieldBack) {
  TempDir dir;
  const StateFile file(dir.path() + "/nested/state");
  const AgentState saved = Registered();
  file.Save(saved);
  const std::optional<AgentState> loaded = file.Load();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->uuid, saved.uuid);
  EXPECT_EQ(loaded->device_key, saved.device_key);
  EXPECT_EQ(loaded->device_name, saved.device_name);
  EXPECT_EQ(loaded->device_type, saved.device_type);
  EXPECT_EQ(loaded->region, saved.region);
  EXPECT_EQ(loaded->server, saved.server);
  EXPECT_TRUE(loaded->registered);
  EXPECT_EQ(loaded->mqtt_username, saved.mqtt_username);
  EXPECT_EQ(loaded->mqtt_password, saved.mqtt_password);
  EXPECT_EQ(loaded->config_json, saved.config_json);
}

TEST(StateFileTest, FileAndNewDirectoryArePrivate) {
  TempDir dir;
  const StateFile file(dir.path() + "/made");
  file.Save(Registered());
  struct stat info {};
  ASSERT_EQ(stat(file.path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(file.dir().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
}

TEST(StateFileTest, SaveReplacesAtomicallyAndLeavesNoTempFiles) {
  TempDir dir;
  const StateFile file(dir.path());
  AgentState state = Registered();
  state.registered = false;
  state.mqtt_username.clear();
  state.mqtt_password.clear();
  file.Save(state);
  const auto inode_before = std::filesystem::status(file.path()).type();
  struct stat before {};
  ASSERT_EQ(stat(file.path().c_str(), &before), 0);
  file.Save(Registered());
  struct stat after {};
  ASSERT_EQ(stat(file.path().c_str(), &after), 0);
  // rename(2) put a new file in place: a reader holding the old one kept a
  // whole old file, never a half-written one.
  EXPECT_NE(before.st_ino, after.st_ino);
  EXPECT_EQ(inode_before, std::filesystem::file_type::regular);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++files;
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
  }
  EXPECT_EQ(files, 1);
}

TEST(StateFileTest, SaveIntoAnUnwritableDirectoryFailsAndKeepsTheOldFile) {
  if (geteuid() == 0) GTEST_SKIP() << "root writes into read-only directories";
  TempDir dir;
  const StateFile file(dir.path());
  file.Save(Registered());
  const std::string before = Read(file.path());
  ASSERT_EQ(chmod(dir.path().c_str(), 0500), 0);
  AgentState other = Registered();
  EXPECT_THROW(file.Save(other), StateFileError);
  chmod(dir.path().c_str(), 0700);
  EXPECT_EQ(Read(file.path()), before);
}

TEST(StateFileTest, CorruptFilesAreRefusedNamingTheFileAndLeftUntouched) {
  const AgentState good = Registered();
  const std::string valid_head = std::string(R"({"format":1,"uuid":")") + good.uuid +
                                 R"(","deviceKey":")" + good.device_key +
                                 R"(","deviceName":"n","deviceType":"t",)";
  const struct {
    std::string text;
    const char* why;
  } cases[] = {
      {"", "not valid JSON"},
      {"{\"format\":1,", "not valid JSON"},
      {std::string("\x00\x01\x02garbage", 10), "not valid JSON"},
      {"[]", "not a JSON object"},
      {R"({"format":2})", "'format' is not 1"},
      {R"({"format":1,"uuid":"not-a-uuid"})", "'uuid' is not a UUID"},
      {std::string(R"({"format":1,"uuid":")") + good.uuid + R"(","deviceKey":"short"})",
       "'deviceKey'"},
      {valid_head + R"("registered":"yes"})", "'registered'"},
      {valid_head + R"("registered":true})", "'mqtt'"},
      {valid_head + R"("registered":true,"mqtt":{"username":"u","password":""}})",
       "credentials are empty"},
      {valid_head + R"("registered":false,"config":{"username":"u"}})", "'config' is unusable"},
      {valid_head + R"("registered":false,"config":"x"})", "'config' is not an object"},
  };
  for (const auto& c : cases) {
    TempDir dir;
    const StateFile file(dir.path());
    Write(file.path(), c.text);
    chmod(file.path().c_str(), 0600);
    try {
      file.Load();
      ADD_FAILURE() << "accepted: " << c.text;
    } catch (const StateFileError& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find(file.path()), std::string::npos) << message;
      EXPECT_NE(message.find(c.why), std::string::npos) << message;
      EXPECT_NE(message.find("left as it is"), std::string::npos) << message;
      EXPECT_EQ(message.find(good.device_key), std::string::npos) << "no secret in the message";
    }
    EXPECT_EQ(Read(file.path()), c.text) << "the file must not change";
  }
}

TEST(StateFileTest, SaveWhereTheDirectoryIsAFileFailsWithoutAnyWrite) {
  TempDir dir;
  const std::string not_a_directory = dir.path() + "/plain-file";
  Write(not_a_directory, "keep me");
  const StateFile file(not_a_directory);
  EXPECT_THROW(file.Save(Registered()), StateFileError);
  EXPECT_EQ(Read(not_a_directory), "keep me");
}

TEST(StateFileTest, SaveOverADirectoryFailsAndLeavesNoTempFile) {
  TempDir dir;
  const StateFile file(dir.path());
  std::filesystem::create_directories(file.path() + "/occupied");
  EXPECT_THROW(file.Save(Registered()), StateFileError);
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++entries;
    EXPECT_EQ(entry.path(), file.path()) << "a temp file was left behind";
  }
  EXPECT_EQ(entries, 1);
}

TEST(StateFileTest, AnUnreadableFileIsAnErrorNotAFreshStart) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads mode 000 files";
  TempDir dir;
  const StateFile file(dir.path());
  file.Save(Registered());
  chmod(file.path().c_str(), 0);
  EXPECT_THROW(file.Load(), StateFileError);
  chmod(file.path().c_str(), 0600);
}

TEST(StateFileTest, ADirectoryInPlaceOfTheFileIsRefused) {
  TempDir dir;
  const StateFile file(dir.path());
  std::filesystem::create_directory(file.path());
  EXPECT_THROW(file.Load(), StateFileError);
}

TEST(StateFileTest, DescribeHidesTheSecrets) {
  const AgentState state = Registered();
  const std::string text = StateFile::Describe(state);
  EXPECT_EQ(text.find(state.device_key), std::string::npos) << text;
  EXPECT_EQ(text.find(state.mqtt_password), std::string::npos) << text;
  EXPECT_NE(text.find(state.uuid), std::string::npos) << text;
  EXPECT_NE(text.find("(set)"), std::string::npos) << text;
}

TEST(DirectoryLockTest, ASecondLockOnTheSameDirectoryIsRefused) {
  TempDir dir;
  DirectoryLock first(dir.path());
  // flock locks belong to the open file description: a second open in this
  // process conflicts just as another process would.
  try {
    DirectoryLock second(dir.path());
    ADD_FAILURE() << "two agents on one state directory";
  } catch (const StateFileError& error) {
    EXPECT_NE(std::string(error.what()).find("another switchboard-agent"), std::string::npos)
        << error.what();
  }
}

TEST(DirectoryLockTest, TheLockIsFreedWithItsHolder) {
  TempDir dir;
  { DirectoryLock first(dir.path()); }
  EXPECT_NO_THROW(DirectoryLock again(dir.path()));
}

}  // namespace
}  // namespace switchboard::agent
