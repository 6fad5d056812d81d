// PostgreSQL going away under a running `switchboard serve`, and a server
// started before PostgreSQL (docs/chain.md: storage being unreachable never stops
// `serve`; storage-backed steps are Error steps, env still resolves,
// /readyz says unready).
//
// PostgreSQL only, on a throwaway cluster this suite starts, stops and
// restarts on the same port and data directory (scripts/lib/postgres.sh).
//
// Decision documented here and in server/routes_device.cc: while storage is
// down, GET /api/v1/device/{uuid}/mqtt answers 503, not the env broker: the
// device's API key cannot be checked, and an unauthenticated caller gets no
// broker. The operator's explain still resolves through env and shows the
// storage-backed steps as errors.
#include <gtest/gtest.h>
#include <signal.h>
#include <soci/soci.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "device_api_test_support.h"
#include "missing_tool.h"
#include "process.h"
#include "storage/migrations.h"
#include "util/crypto.h"

namespace switchboard {
namespace {

using testing::CommandResult;
using testing::ExpectApiError;
using testing::ExpectNoInternals;
using testing::HttpConnection;
using testing::HttpResponse;
using testing::JsonHeaders;
using testing::NewUuid;
using testing::OneShot;
using testing::ParseJson;
using testing::Register;
using testing::RegistrationBody;
using testing::RunCommand;
using testing::ServeOptions;
using testing::ShellQuote;
using testing::SwitchboardProcess;

constexpr char kEnvBroker[] = "mqtt://env-fallback.example.com:1883";

// One cluster for the suite. Start() leaves it running; Stop() and Restart()
// keep the data directory and port.
class ThrowawayPostgres {
 public:
  // Empty on success, else why the cluster could not start.
  std::string Start() {
    std::random_device random;
    dir_ = "/tmp/switchboard-pgfault-" + std::to_string(getpid()) + "-" +
           std::to_string(random() % 100000);
    const CommandResult r = Bash("pg_start " + ShellQuote(dir_) + " && echo \"PORT=$PG_PORT\"");
    const auto at = r.output.rfind("PORT=");
    if (r.exit_code != 0 || at == std::string::npos) return r.output;
    port_ = std::stoi(r.output.substr(at + 5));
    return "";
  }
  // Fast shutdown: open transactions are aborted and every connection is
  // dropped, as when the database goes away. Not `immediate`: that is a
  // crash, and this throwaway cluster runs with synchronous_commit=off
  // (scripts/lib/postgres.sh), so a crash may lose the last commits of
  // the test itself, which would be the cluster's doing, not the server's.
  void Stop() {
    const CommandResult r =
        Bash("as_pg \"$(pg_bindir)/pg_ctl\" -D " + ShellQuote(dir_ + "/data") + " -m fast -w stop");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  void Restart() {
    const CommandResult r = Bash(
        "as_pg \"$(pg_bindir)/pg_ctl\" -D " + ShellQuote(dir_ + "/data") + " -l " +
        ShellQuote(dir_ + "/server.log") + " -w -t 60 -o \"-p " + std::to_string(port_) + " -k " +
        dir_ + " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100\" start");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  void Destroy() {
    if (!dir_.empty()) Bash("pg_stop " + ShellQuote(dir_));
    dir_.clear();
  }
  void CreateDatabase(const std::string& name) {
    const CommandResult r = Bash("as_pg \"$(pg_bindir)/createdb\" -h 127.0.0.1 -p " +
                                 std::to_string(port_) + " -U postgres " + name);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  std::string Url(const std::string& database) const {
    return "postgresql://host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + database +
           " user=postgres connect_timeout=2";
  }

 private:
  static CommandResult Bash(const std::string& script) {
    return RunCommand("bash -c " + ShellQuote(std::string("source ") + SWITCHBOARD_SOURCE_DIR +
                                              "/scripts/lib/postgres.sh && " + script));
  }
  std::string dir_;
  int port_ = 0;
};

class StorageFaultTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    postgres_ = new ThrowawayPostgres();
    start_error_ = postgres_->Start();
  }
  static void TearDownTestSuite() {
    postgres_->Destroy();
    delete postgres_;
    postgres_ = nullptr;
  }
  void SetUp() override {
    if (!start_error_.empty()) SWITCHBOARD_MISSING_TOOL("no PostgreSQL cluster: " + start_error_);
    unsetenv("MQTT_BROKER_URL");
  }

  // Runs `query` on a fresh connection (the cluster may have restarted).
  static long long QueryInt(const std::string& url, const std::string& query) {
    Storage storage(url, 1, std::chrono::milliseconds(5000));
    Storage::Lease lease = storage.Acquire();
    long long value = 0;
    *lease << query, soci::into(value);
    return value;
  }
  static void Exec(const std::string& url, const std::string& sql) {
    Storage storage(url, 1, std::chrono::milliseconds(5000));
    Storage::Lease lease = storage.Acquire();
    *lease << sql;
  }
  // A default broker and a key for fleet `f`; returns the key.
  static std::string AddBrokerAndKey(const std::string& url) {
    const std::string key = RandomToken(32);
    Exec(url,
         "INSERT INTO mqtt_broker_config (name, host, is_default) VALUES ('db', "
         "'db-broker.example.com', 1)");
    Exec(url, "INSERT INTO fleets (id, name) VALUES ('f', 'f')");
    Exec(url, "INSERT INTO provisioning_keys (key_hash, fleet_id) VALUES ('" + Sha256Hex(key) +
                  "', 'f')");
    return key;
  }
  // /readyz is a probe, not an API error: 503 with its own JSON status.
  static void ExpectUnready(std::uint16_t port) {
    const HttpResponse r = OneShot(port, "GET", "/readyz");
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_STREQ(ParseJson(r.body)["status"].GetString(), "unready");
  }
  static bool WaitForReady(std::uint16_t port, int status, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      try {
        if (OneShot(port, "GET", "/readyz").status == status) return true;
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  static ThrowawayPostgres* postgres_;
  static std::string start_error_;
};

ThrowawayPostgres* StorageFaultTest::postgres_ = nullptr;
std::string StorageFaultTest::start_error_;

TEST_F(StorageFaultTest, PostgresStoppedMidRunThenBack) {
  const std::string url = postgres_->Url("switchboard");
  {
    Storage storage(url, 1, std::chrono::milliseconds(5000));
    ApplyMigrations(storage);
  }
  const std::string key = AddBrokerAndKey(url);
  // The cluster trusts local connections, so a password in the URL is
  // ignored by PostgreSQL; it must never be printed by the server either.
  auto options = ServeOptions(url + " password=pg-secret-7f3a");
  options.environment["MQTT_BROKER_URL"] = kEnvBroker;
  // A slow step inside the registration transaction, so PostgreSQL can be
  // stopped while one is in flight.
  options.resolution_yaml = std::string("resolution:\n  plugin_dirs: [\"") +
                            SWITCHBOARD_PLUGIN_DIR + "\", \"" + SWITCHBOARD_TEST_PLUGIN_DIR +
                            "\"]\n  chain:\n    - plugin: device\n    - plugin: scripted\n"
                            "      params: {outcome: pass, sleep_us: 600000}\n"
                            "    - plugin: default\n    - plugin: env\n";
  auto server = SwitchboardProcess::Start(options);

  const std::string a = NewUuid();
  ASSERT_EQ(Register(server->port(), key, RegistrationBody(a)).status, 200) << server->Log();

  // A registration in flight (device row inserted, transaction open) when
  // PostgreSQL goes down. It normally fails (503); on a machine so loaded
  // that it committed before the stop, it must then be complete.
  const std::string in_flight = NewUuid();
  auto connection = HttpConnection::Connect(server->port());
  connection->SendRaw(testing::FormatRequest("POST", "/api/v1/device/register", JsonHeaders(key),
                                             RegistrationBody(in_flight)));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  postgres_->Stop();
  const HttpResponse lost = connection->ReadResponse(std::chrono::seconds(15));
  const long long committed = lost.status == 200 ? 1 : 0;
  if (!committed) ExpectApiError(lost, 503, "unavailable");
  ExpectNoInternals(lost.body);

  // While it is down: registration 503 with a JSON body (a request that
  // waited for the database would fail the client's read timeout instead).
  const std::string b = NewUuid();
  const HttpResponse refused = Register(server->port(), key, RegistrationBody(b));
  ExpectApiError(refused, 503, "unavailable");
  EXPECT_EQ(refused.Header("Retry-After").value_or(""), "1");
  ExpectNoInternals(refused.body);
  ExpectUnready(server->port());

  // The device's own view needs its API key checked against storage: 503.
  const HttpResponse mqtt = OneShot(server->port(), "GET", "/api/v1/device/" + a + "/mqtt",
                                    {{"X-Device-API-Key", testing::kDeviceApiKey}});
  ExpectApiError(mqtt, 503, "unavailable");
  ExpectNoInternals(mqtt.body);

  // Explain still resolves, through env; the storage steps are errors.
  const HttpResponse explain = server->Admin("GET", "/api/v1/devices/" + a + "/resolution");
  ASSERT_EQ(explain.status, 200) << explain.body;
  const rapidjson::Document body = ParseJson(explain.body);
  EXPECT_STREQ(body["resolvedBy"].GetString(), "env");
  EXPECT_STREQ(body["broker"].GetString(), kEnvBroker);
  EXPECT_FALSE(body.HasMember("brokerConfig"));
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"device", "error"}, {"scripted", "pass"}, {"default", "error"}, {"env", "resolved"}};
  ASSERT_EQ(body["trace"].Size(), expected.size()) << explain.body;
  for (rapidjson::SizeType i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(body["trace"][i]["plugin"].GetString(), expected[i].first) << explain.body;
    EXPECT_EQ(body["trace"][i]["outcome"].GetString(), expected[i].second) << explain.body;
  }
  EXPECT_EQ(explain.Header("X-Switchboard-Resolver").value_or(""),
            "resolved-by=env; trace=device:error,scripted:pass,default:error,env:resolved");
  // /metrics counts the 503s.
  const HttpResponse metrics = OneShot(server->port(), "GET", "/metrics");
  EXPECT_EQ(metrics.body.find("switchboard_storage_errors_total 0"), std::string::npos)
      << metrics.body;

  // Back: nothing partial was written, and the same server recovers.
  postgres_->Restart();
  EXPECT_EQ(QueryInt(url, "SELECT COUNT(*) FROM devices"), 1 + committed);
  EXPECT_EQ(QueryInt(url, "SELECT COUNT(*) FROM devices WHERE uuid = '" + in_flight + "'"),
            committed);
  EXPECT_EQ(QueryInt(url, "SELECT COUNT(*) FROM mqtt_users"), 1 + committed);
  EXPECT_EQ(QueryInt(url, "SELECT COUNT(*) FROM mqtt_acls"), 1 + committed);
  EXPECT_EQ(QueryInt(url, "SELECT devices_provisioned FROM provisioning_keys"), 1 + committed);
  EXPECT_TRUE(WaitForReady(server->port(), 200, std::chrono::seconds(10))) << server->Log();
  // The refused uuids register now (200, not 409: nothing was left behind).
  EXPECT_EQ(Register(server->port(), key, RegistrationBody(in_flight)).status, 200);
  const HttpResponse again = Register(server->port(), key, RegistrationBody(b));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_STREQ(ParseJson(again.body)["mqtt"]["broker"].GetString(),
               "mqtt://db-broker.example.com:1883");
  EXPECT_EQ(OneShot(server->port(), "GET", "/api/v1/device/" + a + "/mqtt",
                    {{"X-Device-API-Key", testing::kDeviceApiKey}})
                .status,
            200);
  EXPECT_EQ(QueryInt(url, "SELECT devices_provisioned FROM provisioning_keys"), 3);
  EXPECT_EQ(server->Stop(SIGTERM), 0) << server->Log();
  EXPECT_EQ(server->Log().find("pg-secret-7f3a"), std::string::npos) << server->Log();
  EXPECT_NE(server->Log().find("password=***"), std::string::npos) << server->Log();
}

TEST_F(StorageFaultTest, StartsWhilePostgresIsDownAndBecomesReady) {
  const std::string database = "late_" + std::to_string(getpid());
  postgres_->CreateDatabase(database);
  const std::string url = postgres_->Url(database);
  postgres_->Stop();

  auto options = ServeOptions(url);
  options.wait_ready = false;
  options.environment["MQTT_BROKER_URL"] = kEnvBroker;
  std::unique_ptr<SwitchboardProcess> server;
  ASSERT_NO_THROW(server = SwitchboardProcess::Start(options));
  EXPECT_EQ(OneShot(server->port(), "GET", "/healthz").status, 200);
  ExpectUnready(server->port());
  // Registration cannot work yet; it says so.
  ExpectApiError(Register(server->port(), "any-key", RegistrationBody(NewUuid())), 503,
                 "unavailable");

  postgres_->Restart();
  EXPECT_TRUE(WaitForReady(server->port(), 200, std::chrono::seconds(10))) << server->Log();
  // The migrations ran once storage answered.
  EXPECT_GE(QueryInt(url, "SELECT COUNT(*) FROM schema_migrations"), 1);
  const std::string key = AddBrokerAndKey(url);
  const HttpResponse registered = Register(server->port(), key, RegistrationBody(NewUuid()));
  ASSERT_EQ(registered.status, 200) << registered.body << server->Log();
  EXPECT_EQ(server->Stop(SIGTERM), 0) << server->Log();
}

}  // namespace
}  // namespace switchboard
