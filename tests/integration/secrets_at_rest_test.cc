// Broker secrets sealed at rest (storage.secret_key_file): a copy of the
// database shows none of them, the server still uses them, rows written in
// clear before still read, and `switchboard rotate-secret-key` re-seals.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <thread>

#include "device_api_test_support.h"
#include "process.h"
#include "storage/sqlite_file.h"

namespace switchboard {
namespace {

using testing::DeviceApiTest;
using testing::HttpResponse;
using testing::ServeOptions;
using testing::SwitchboardProcess;

constexpr char kKeyA[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr char kKeyB[] = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
constexpr char kPassword[] = "pw-AT-REST-6b1f0e";
constexpr char kClientKey[] = "KEY-AT-REST-93c2aa";
constexpr char kExtra[] = "XTRA-AT-REST-0d7e21";

// Accepts one connection on 127.0.0.1 and keeps what it reads (the probe's
// CONNECT, with the broker's username and password), then closes.
class CaptureListener {
 public:
  CaptureListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(fd_, 4) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "cannot listen";
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 10'000) <= 0) return;
      const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) return;
      char buffer[4096];
      pollfd c{client, POLLIN, 0};
      while (::poll(&c, 1, 500) > 0) {
        const ssize_t n = ::read(client, buffer, sizeof buffer);
        if (n <= 0) break;
        std::lock_guard<std::mutex> lock(mutex_);
        received_.append(buffer, static_cast<std::size_t>(n));
      }
      ::close(client);
    });
  }
  ~CaptureListener() {
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  std::string Received() {
    thread_.join();
    thread_ = std::thread([] {});
    std::lock_guard<std::mutex> lock(mutex_);
    return received_;
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::string received_;
};

class SecretsAtRestTest : public DeviceApiTest {
 protected:
  std::string KeyFile(const char* name, const char* hex) {
    const std::string path = dir_.path() + "/" + name;
    testing::WriteFile(path, std::string(hex) + "\n");
    return path;
  }
  std::string StorageYaml(const std::string& current, const std::string& previous = "") {
    return "  secret_key_file: \"" + current + "\"\n" +
           (previous.empty() ? "" : "  previous_secret_key_files: [\"" + previous + "\"]\n");
  }
  std::unique_ptr<SwitchboardProcess> Serve(const std::string& storage_yaml) {
    auto options = ServeOptions(url());
    options.storage_yaml = storage_yaml;
    return SwitchboardProcess::Start(options);
  }
  // What the probe of broker `id` sends to a listener it is pointed at.
  std::string ProbeSends(SwitchboardProcess& server, long long id) {
    CaptureListener listener;
    Exec("UPDATE mqtt_broker_config SET host = '127.0.0.1', port = " +
         std::to_string(listener.port()) +
         ", connect_timeout = 1000 WHERE id = " + std::to_string(id));
    const HttpResponse r =
        server.Admin("POST", "/api/v1/mqtt/brokers/" + std::to_string(id) + "/test");
    EXPECT_EQ(r.status, 200) << r.body;
    return listener.Received();
  }
  // Everything a leaked copy of the database holds, as text.
  std::string DatabaseDump() {
    std::string out;
    for (const char* column : {"password", "client_key", "extra_config"}) {
      out += QueryString(std::string("SELECT ") + column + " FROM mqtt_broker_config") + "\n";
    }
    if (backend() == "sqlite") {
      const std::string file = SqliteFilePath(url());
      for (const std::string& path : {file, file + "-wal"}) {
        if (std::filesystem::exists(path)) out += testing::ReadFile(path);
      }
    }
    return out;
  }
  int RotateWith(const std::string& storage_yaml) {
    const std::string config = dir_.path() + "/rotate.yaml";
    testing::WriteFile(config, "storage:\n  url: \"" + url() + "\"\n" + storage_yaml);
    const auto result =
        testing::RunCommand(testing::SwitchboardBinary() + " rotate-secret-key --config " +
                            testing::ShellQuote(config));
    EXPECT_EQ(result.output.find(kPassword), std::string::npos) << result.output;
    return result.exit_code;
  }

  testing::TempDir dir_;
};

TEST_P(SecretsAtRestTest, ALeakedDatabaseShowsNoBrokerSecret) {
  auto server = Serve(StorageYaml(KeyFile("a.key", kKeyA)));
  const HttpResponse created = server->Admin(
      "POST", "/api/v1/mqtt/brokers",
      std::string(R"({"name":"s","host":"127.0.0.1","username":"svc","password":")") + kPassword +
          R"(","client_key":"-----BEGIN PRIVATE KEY-----\n)" + kClientKey +
          R"(\n-----END PRIVATE KEY-----","extra_config":{"token":")" + kExtra + R"("}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const long long id = QueryInt("SELECT id FROM mqtt_broker_config");

  const std::string dump = DatabaseDump();
  for (const char* secret : {kPassword, kClientKey, kExtra}) {
    EXPECT_EQ(dump.find(secret), std::string::npos) << secret << " readable in the database";
  }
  EXPECT_EQ(QueryString("SELECT password FROM mqtt_broker_config").rfind("sbenc1:", 0), 0u);
  // The server itself still has it.
  EXPECT_NE(ProbeSends(*server, id).find(kPassword), std::string::npos);
  EXPECT_EQ(server->Log().find(kPassword), std::string::npos);
}

TEST_P(SecretsAtRestTest, ClearRowsStillReadAndRotationReseals) {
  const long long id =
      AddBroker("old", {{"username", "'svc'"}, {"password", std::string("'") + kPassword + "'"}});
  const std::string key_a = KeyFile("a.key", kKeyA);
  {
    auto server = Serve(StorageYaml(key_a));
    EXPECT_NE(ProbeSends(*server, id).find(kPassword), std::string::npos);
  }
  ASSERT_EQ(RotateWith(StorageYaml(key_a)), 0);
  const std::string sealed_a = QueryString("SELECT password FROM mqtt_broker_config");
  EXPECT_EQ(sealed_a.find(kPassword), std::string::npos);
  EXPECT_EQ(sealed_a.rfind("sbenc1:", 0), 0u);

  // Rotation to key B: B seals, A still opens until the rows are re-sealed.
  const std::string key_b = KeyFile("b.key", kKeyB);
  {
    auto server = Serve(StorageYaml(key_b, key_a));
    EXPECT_NE(ProbeSends(*server, id).find(kPassword), std::string::npos);
  }
  EXPECT_EQ(RotateWith(StorageYaml(key_b)), 1);  // A's rows open with no key given
  ASSERT_EQ(RotateWith(StorageYaml(key_b, key_a)), 0);
  EXPECT_NE(QueryString("SELECT password FROM mqtt_broker_config"), sealed_a);
  auto server = Serve(StorageYaml(key_b));  // A no longer needed
  EXPECT_NE(ProbeSends(*server, id).find(kPassword), std::string::npos);
}

TEST_P(SecretsAtRestTest, AWrongKeyNeverLeaksAndNeverCrashes) {
  auto server = Serve(StorageYaml(KeyFile("a.key", kKeyA)));
  ASSERT_EQ(server
                ->Admin("POST", "/api/v1/mqtt/brokers",
                        std::string(R"({"name":"s","host":"127.0.0.1","password":")") + kPassword +
                            R"(","is_default":true})")
                .status,
            201);
  server.reset();
  server = Serve(StorageYaml(KeyFile("b.key", kKeyB)));
  const long long id = QueryInt("SELECT id FROM mqtt_broker_config");
  const auto broker = server->Admin("GET", "/api/v1/mqtt/brokers/" + std::to_string(id));
  EXPECT_EQ(broker.status, 200) << broker.body;
  EXPECT_EQ(ProbeSends(*server, id).find(kPassword), std::string::npos);
}

SWITCHBOARD_BOTH_BACKENDS(SecretsAtRestTest);

}  // namespace
}  // namespace switchboard
