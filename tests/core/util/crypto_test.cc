#include "util/crypto.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "missing_tool.h"

namespace switchboard {
namespace {

using ::testing::MatchesRegex;

// --- helpers for the interoperability tests (real mosquitto tools) ---------

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "crypto_test.XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Starts argv[0] (looked up in PATH) without a shell, so passwords need no
// quoting; its output goes to /dev/null. Returns the child's pid.
pid_t Spawn(const std::vector<std::string>& args) {
  pid_t pid = fork();
  if (pid == 0) {
    int null_fd = open("/dev/null", O_WRONLY);
    dup2(null_fd, STDOUT_FILENO);
    dup2(null_fd, STDERR_FILENO);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int RunCommand(const std::vector<std::string>& args) {
  pid_t pid = Spawn(args);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The hash part of the first line of a Mosquitto password file.
std::string HashOf(const std::string& password_file, const std::string& user) {
  std::ifstream in(password_file);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.substr(0, user.size() + 1), user + ":");
  return line.substr(user.size() + 1);
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool WaitForPort(int port) {
  for (int i = 0; i < 100; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// --- tokens, digests, comparison --------------------------------------------

TEST(RandomTokenTest, IsUnpaddedUrlSafeBase64OfTheRequestedSize) {
  EXPECT_THAT(RandomToken(kProvisioningKeyBytes), MatchesRegex("[A-Za-z0-9_-]{43}"));
  EXPECT_THAT(RandomToken(kMqttPasswordBytes), MatchesRegex("[A-Za-z0-9_-]{32}"));
  EXPECT_EQ(RandomToken(1).size(), 2u);
  EXPECT_EQ(RandomToken(2).size(), 3u);
  EXPECT_EQ(RandomToken(3).size(), 4u);
  EXPECT_THROW(RandomToken(0), std::invalid_argument);
}

TEST(RandomTokenTest, NeverRepeatsAndUsesTheWholeAlphabet) {
  std::set<std::string> seen;
  std::set<char> chars;
  for (int i = 0; i < 2000; ++i) {
    std::string token = RandomToken(kAdminTokenBytes);
    EXPECT_TRUE(seen.insert(token).second);
    chars.insert(token.begin(), token.end());
  }
  EXPECT_EQ(chars.size(), 64u);  // 86k random characters miss none of 64
}

TEST(Sha256HexTest, MatchesKnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(std::string("a\0b", 3)), Sha256Hex(std::string("a\0b", 3)));
  EXPECT_NE(Sha256Hex(std::string("a\0b", 3)), Sha256Hex("a"));
}

TEST(ConstantTimeEqualsTest, ComparesWholeContents) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("Secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret2"));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(Base64Test, MatchesRfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"},
                                                         {"\xff\xfe", "//4="}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    std::string decoded;
    ASSERT_TRUE(Base64Decode(encoded, &decoded)) << encoded;
    EXPECT_EQ(decoded, plain);
  }
}

TEST(Base64Test, RejectsNonCanonicalInput) {
  for (const char* bad : {"Zg", "Zg=", "Zh==", "Zm9=", "Z===", "=Zg=", "Zg==Zg==", "Zm9v\n",
                          "Zm 9v", "Zm-v", "Zm_v", "Zm9v===="}) {
    std::string out;
    EXPECT_FALSE(Base64Decode(bad, &out)) << bad;
  }
}

// --- Mosquitto `$7$` hashes -------------------------------------------------

// Written by `mosquitto_passwd -b -c f user pass` (Mosquitto 2.0.11).
constexpr char kRealToolHash[] =
    "$7$101$r7rQEXoKxw1HfGbk$j5l6G8uZm3F1HVPDRYd/AZOTobs6dfeLQjOPlD5Uu0Qsximj7slx+"
    "XinZYqJoJQ8YXwS9meLbB7v04R4ZqOQmw==";

TEST(MosquittoPasswordTest, ReproducesTheRealToolExactly) {
  std::string salt;
  ASSERT_TRUE(Base64Decode("r7rQEXoKxw1HfGbk", &salt));
  EXPECT_EQ(MosquittoPasswordHash("pass", salt, 101), kRealToolHash);
  EXPECT_TRUE(VerifyMosquittoPassword("pass", kRealToolHash));
  EXPECT_FALSE(VerifyMosquittoPassword("pass ", kRealToolHash));
  EXPECT_FALSE(VerifyMosquittoPassword("Pass", kRealToolHash));
  EXPECT_FALSE(VerifyMosquittoPassword("", kRealToolHash));
}

TEST(MosquittoPasswordTest, FreshHashesHaveTheFormatAndRandomSalts) {
  std::string password = RandomToken(kMqttPasswordBytes);
  std::string a = MosquittoPasswordHash(password);
  std::string b = MosquittoPasswordHash(password);
  EXPECT_THAT(a, MatchesRegex("\\$7\\$101\\$[A-Za-z0-9+/]{16}\\$[A-Za-z0-9+/]{86}=="));
  EXPECT_NE(a, b);
  EXPECT_TRUE(VerifyMosquittoPassword(password, a));
  EXPECT_TRUE(VerifyMosquittoPassword(password, b));
  EXPECT_FALSE(VerifyMosquittoPassword(password + "x", a));
  EXPECT_TRUE(VerifyMosquittoPassword("", MosquittoPasswordHash("")));
}

TEST(MosquittoPasswordTest, DeterministicVariantChecksItsArguments) {
  const std::string salt(12, 'S');
  EXPECT_EQ(MosquittoPasswordHash("pw", salt, 1000), MosquittoPasswordHash("pw", salt, 1000));
  EXPECT_THAT(MosquittoPasswordHash("pw", salt, 1000), MatchesRegex("\\$7\\$1000\\$.*"));
  EXPECT_TRUE(VerifyMosquittoPassword("pw", MosquittoPasswordHash("pw", salt, 1)));
  EXPECT_THROW(MosquittoPasswordHash("pw", std::string(11, 'S'), 101), std::invalid_argument);
  EXPECT_THROW(MosquittoPasswordHash("pw", std::string(16, 'S'), 101), std::invalid_argument);
  EXPECT_THROW(MosquittoPasswordHash("pw", salt, 0), std::invalid_argument);
  EXPECT_THROW(MosquittoPasswordHash("pw", salt, kMosquittoMaxIterations + 1),
               std::invalid_argument);
  EXPECT_THROW(MosquittoPasswordHash(std::string("p\0w", 3)), std::invalid_argument);
  EXPECT_FALSE(VerifyMosquittoPassword(std::string("pass\0x", 6), kRealToolHash));
}

TEST(MosquittoPasswordTest, MalformedHashesAreRejectedNotThrown) {
  const std::string good = kRealToolHash;
  const std::string salt = "r7rQEXoKxw1HfGbk";
  const std::string hash = good.substr(good.rfind('$') + 1);
  const std::vector<std::string> bad = {
      "",
      "$",
      "$7$",
      "$7$101$",
      "pass",
      "user:" + good,
      good + "$",
      "$" + good,
      good + "x",
      "$6$" + salt + "$" + hash,                    // legacy format: not accepted
      "$7$0$" + salt + "$" + hash,                  // zero iterations
      "$7$-101$" + salt + "$" + hash,               // signed
      "$7$ 101$" + salt + "$" + hash,               // space
      "$7$abc$" + salt + "$" + hash,                // not a number
      "$7$99999999999$" + salt + "$" + hash,        // overflow
      "$7$101$" + salt.substr(4) + "$" + hash,      // 9-byte salt
      "$7$101$" + salt + "AAAA$" + hash,            // 15-byte salt
      "$7$101$" + salt + "$" + hash.substr(4),      // short hash
      "$7$101$" + salt + "$" + hash.substr(0, 86),  // hash without padding
      "$7$101$" + salt + "$$" + hash,               // empty field
  };
  for (const auto& h : bad) EXPECT_FALSE(VerifyMosquittoPassword("pass", h)) << h;
}

TEST(MosquittoInteropTest, AcceptsWhatMosquittoPasswdWrites) {
  if (!testing::ToolOnPath("mosquitto_passwd"))
    SWITCHBOARD_MISSING_TOOL("mosquitto_passwd is not installed (scripts/setup)");
  TempDir dir;
  for (const std::string& password :
       {std::string("pass"), RandomToken(kMqttPasswordBytes), std::string("p@ss:w$rd \"'\\")}) {
    const std::string file = dir.File("passwd");
    ASSERT_EQ(RunCommand({"mosquitto_passwd", "-b", "-c", file, "device_1", password}), 0);
    std::string hash = HashOf(file, "device_1");
    EXPECT_THAT(hash, MatchesRegex("\\$7\\$101\\$.*"));
    EXPECT_TRUE(VerifyMosquittoPassword(password, hash)) << hash;
    EXPECT_FALSE(VerifyMosquittoPassword(password + "!", hash));
    EXPECT_FALSE(VerifyMosquittoPassword("wrong", hash));
  }
}

// The reverse direction: a real broker admits a client whose password-file
// entry we wrote, and refuses a wrong password.
TEST(MosquittoInteropTest, RealBrokerAcceptsOurHashes) {
  if (!testing::ToolOnPath("mosquitto") || !testing::ToolOnPath("mosquitto_pub")) {
    SWITCHBOARD_MISSING_TOOL("mosquitto or mosquitto_pub is not installed (scripts/setup)");
  }
  TempDir dir;
  const std::string password = RandomToken(kMqttPasswordBytes);
  {
    std::ofstream pw(dir.File("passwd"));
    pw << "device_a:" << MosquittoPasswordHash(password) << "\n";
    pw << "device_b:" << MosquittoPasswordHash("other", std::string(12, '\x01'), 2000) << "\n";
  }
  const int port = FreePort();
  {
    std::ofstream conf(dir.File("mosquitto.conf"));
    conf << "listener " << port << " 127.0.0.1\n"
         << "allow_anonymous false\n"
         << "password_file " << dir.File("passwd") << "\n";
    // As root the broker would switch to the `mosquitto` user, which cannot
    // read our private temp dir.
    if (geteuid() == 0) conf << "user root\n";
  }
  pid_t broker = Spawn({"mosquitto", "-c", dir.File("mosquitto.conf")});
  ASSERT_GT(broker, 0);
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  } reaper{broker};
  ASSERT_TRUE(WaitForPort(port)) << "mosquitto did not start";

  auto publish = [&](const std::string& user, const std::string& pass) {
    return RunCommand({"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(port), "-u", user,
                       "-P", pass, "-t", "t", "-m", "m"});
  };
  EXPECT_EQ(publish("device_a", password), 0);
  EXPECT_EQ(publish("device_b", "other"), 0);  // non-default iteration count
  EXPECT_NE(publish("device_a", password + "x"), 0);
  EXPECT_NE(publish("device_b", password), 0);
}

// --- device API keys ----------------------------------------------------------

TEST(DeviceApiKeyTest, SaltedHashVerifies) {
  const std::string key = "agent-chosen-key-0001";
  std::string a = HashDeviceApiKey(key);
  std::string b = HashDeviceApiKey(key);
  EXPECT_THAT(a, MatchesRegex("sha256\\$[0-9a-f]{32}\\$[0-9a-f]{64}"));
  EXPECT_NE(a, b);  // per-row salt: equal keys do not show
  EXPECT_EQ(a.find(key), std::string::npos);
  EXPECT_TRUE(VerifyDeviceApiKey(key, a));
  EXPECT_TRUE(VerifyDeviceApiKey(key, b));
  EXPECT_FALSE(VerifyDeviceApiKey(key + " ", a));
  EXPECT_FALSE(VerifyDeviceApiKey("agent-chosen-key-0002", a));
  EXPECT_FALSE(VerifyDeviceApiKey("", a));
  const std::string with_nul("sixteen-chars\0!!", 16);
  EXPECT_TRUE(VerifyDeviceApiKey(with_nul, HashDeviceApiKey(with_nul)));
  EXPECT_FALSE(VerifyDeviceApiKey("sixteen-chars", HashDeviceApiKey(with_nul)));
}

TEST(DeviceApiKeyTest, MalformedStoredValuesAreRejected) {
  const std::string key = "agent-chosen-key-0001";
  const std::string good = HashDeviceApiKey(key);
  std::string upper = good;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string bad_salt = good;
  bad_salt[7] = 'g';
  std::string no_separator = good;
  no_separator[39] = '#';
  for (const std::string& stored :
       {std::string(), std::string("sha256$"), good.substr(0, good.size() - 1), good + "0",
        "sha512" + good.substr(6), upper, bad_salt, no_separator, Sha256Hex(key), key}) {
    EXPECT_FALSE(VerifyDeviceApiKey(key, stored)) << stored;
  }
}

}  // namespace
}  // namespace switchboard
