// The reference agent (`build/bin/switchboard-agent`, agent/) end to end:
// the real binary against the real `switchboard serve` (SQLite and
// PostgreSQL) and a real Mosquitto 2.0.11 whose password and ACL files come
// from `switchboard export mosquitto`. An observer MQTT client (a static
// user with read rights on iot/#, appended after each export as
// docs/mosquitto.md tells operators to do for extra users) watches the
// agent's retained status topic, `iot/device/<uuid>/status`.
//
// The end-to-end cases of the device-side issue, and where each stands:
//   1 first boot            FirstBoot… (registers, connects, `online`, and
//                           its state report makes the device inSync)
//   2 restart               RestartReusesItsIdentity…
//   3 lost registration     LostRegistrationAnswer…
//   4 kill the primary      KilledPrimary… (the backup from
//                           `backup_broker_ids`, then back to the restarted
//                           primary after `failbackAfterSeconds`)
//   5 operator reassigns    ReassignedDeviceMoves… (`provisioning.refresh_after`)
//   6 CA rotation           CaRotation… (a CA and a server certificate made
//                           by the test, the operator's six steps)
//   7 server down           ServerDownAtRestart… (stored config, keeps its
//                           broker, retries the refresh); the periodic
//                           refresh part is case 5's refresh
//   8 corrupt state file    CorruptStateFile…
//   9 wrong provisioning key WrongProvisioningKey…
// Plus: SIGTERM → clean DISCONNECT (no will) and `offline` (FirstBoot…), TLS
// with a CA made at test time and a wrong CA (ConnectsOverTls…).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "agent_process.h"
#include "device_agent.h"
#include "missing_tool.h"
#include "mosquitto_e2e_fixture.h"
#include "process.h"

namespace switchboard::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kObserverUser[] = "agent-e2e-observer";
constexpr char kObserverPassword[] = "observer-Secret-71c2d9e04b";
// The agent's defaults: a first retry after 1 s ± 25 %, doubling. A device
// whose credentials reach the broker a moment after its first refused
// attempt connects within a few seconds; this bound leaves room for a slow
// machine.
constexpr auto kConnectBound = 30s;

class AgentE2eTest : public testing::MosquittoE2eTest {
 protected:
  static void SetUpTestSuite() {
    MosquittoE2eTest::SetUpTestSuite();
    if (!testing::MosquittoAvailable()) return;
    MakePasswordFile(ObserverPasswordFile(), kObserverUser, kObserverPassword);
  }
  static std::string ObserverPasswordFile() { return suite_dir_->path() + "/observer.passwd"; }

  void SetUp() override {
    if (!std::filesystem::exists(testing::AgentBinary())) {
      SWITCHBOARD_MISSING_TOOL("switchboard-agent is not built: " + testing::AgentBinary());
    }
    MosquittoE2eTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    broker_ = &AddBroker("broker");
    broker_->Start();
  }
  void TearDown() override {
    agent_.reset();
    if (server_ && !provisioning_key_.empty()) {
      const std::string log = server_->Log();
      EXPECT_EQ(log.find(provisioning_key_), std::string::npos) << "a key in the server log";
    }
    MosquittoE2eTest::TearDown();
  }

  void StartServer(const std::string& extra_yaml = "") {
    testing::SwitchboardProcessOptions options = testing::ServeOptions(url());
    options.extra_yaml = extra_yaml;
    server_ = testing::SwitchboardProcess::Start(options);
  }
  std::string ServerUrl() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  std::string StateDir() const { return dir_.path() + "/agent-state"; }
  std::string StatePath() const { return StateDir() + "/state.json"; }
  std::string KeyFile() const { return dir_.path() + "/provisioning.key"; }

  std::string Diagnostics() const override {
    return (agent_ ? "\n--- agent log ---\n" + agent_->Log() : std::string()) +
           MosquittoE2eTest::Diagnostics();
  }

  std::int64_t CreatePlainDefaultBroker(const testing::MosquittoBroker& broker,
                                        const std::string& name = "plain") {
    return CreateBroker(JsonBody()
                            .Add("name", name)
                            .Add("protocol", "mqtt")
                            .Add("host", "127.0.0.1")
                            .Add("port", broker.plain_port())
                            .Add("keep_alive", 30)
                            .Add("is_default", true)
                            .Take());
  }
  std::int64_t CreateTlsDefaultBroker(const std::string& ca_file) {
    return CreateBroker(JsonBody()
                            .Add("name", "tls")
                            .Add("protocol", "mqtts")
                            .Add("host", "localhost")
                            .Add("port", broker_->tls_port())
                            .Add("use_tls", true)
                            .Add("verify_certificate", true)
                            .Add("ca_cert", testing::ReadFile(ca_file))
                            .Add("is_default", true)
                            .Take());
  }

  // A provisioning key for fleet `agents`, written to KeyFile() (0600).
  void CreateProvisioningKey() {
    const HttpResponse response =
        server_->Admin("POST", "/api/v1/provisioning-keys",
                       JsonBody().Add("fleetId", "agents").Add("maxDevices", 5).Take());
    ASSERT_EQ(response.status, 201) << response.body;
    provisioning_key_ = JsonString(ParseJsonObject(response.body), "key");
    key_id_ = JsonInt(ParseJsonObject(response.body), "id").value_or(0);
    ASSERT_FALSE(provisioning_key_.empty());
    testing::WriteFile(KeyFile(), provisioning_key_ + "\n");
    chmod(KeyFile().c_str(), 0600);
  }
  std::int64_t DevicesProvisioned() const {
    const HttpResponse response = server_->Admin("GET", "/api/v1/provisioning-keys");
    const rapidjson::Document body = ParseJsonObject(response.body);
    const rapidjson::Value* keys = JsonMember(body, "keys");
    if (keys == nullptr || !keys->IsArray()) return -1;
    for (const auto& key : keys->GetArray()) {
      if (JsonInt(key, "id") == key_id_) return JsonInt(key, "devicesProvisioned").value_or(-1);
    }
    return -1;
  }
  std::int64_t DeviceCount() const {
    const HttpResponse response = server_->Admin("GET", "/api/v1/devices?limit=1000");
    return JsonInt(ParseJsonObject(response.body), "count").value_or(-1);
  }

  std::vector<std::string> AgentArgs(const std::string& server_url) const {
    return {"--server", server_url,    "--provisioning-key-file",
            KeyFile(),  "--state-dir", StateDir(),
            "--name",   "e2e-device",  "--type",
            "e2e-agent"};
  }
  void StartAgent(std::vector<std::string> extra = {}, const std::string& server_url = "") {
    std::vector<std::string> args = AgentArgs(server_url.empty() ? ServerUrl() : server_url);
    args.insert(args.end(), extra.begin(), extra.end());
    agent_ = std::make_unique<AgentProcess>(args, dir_.path() + "/agent.log");
  }

  // The state file as the agent wrote it (agent/README.md, "The state file").
  rapidjson::Document State() const {
    return ParseJsonObject(std::filesystem::exists(StatePath()) ? testing::ReadFile(StatePath())
                                                                : "");
  }
  bool WaitRegistered(std::chrono::milliseconds bound) const {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
      const rapidjson::Document state = State();
      const rapidjson::Value* registered = JsonMember(state, "registered");
      if (registered != nullptr && registered->IsBool() && registered->GetBool()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  // The real export, the observer appended to both files, SIGHUP.
  void ExportAndReload(testing::MosquittoBroker& broker) {
    ASSERT_NO_FATAL_FAILURE(ExportMosquittoFiles(server_->config_path(), broker));
    const auto appended =
        testing::RunCommand("cat " + testing::ShellQuote(ObserverPasswordFile()) + " >> " +
                            testing::ShellQuote(broker.password_file()) +
                            " && printf '\\nuser %s\\ntopic read iot/#\\n' " + kObserverUser +
                            " >> " + testing::ShellQuote(broker.acl_file()));
    ASSERT_EQ(appended.exit_code, 0) << appended.output;
    broker.Reload();
  }
  void ExportAndReload() { ExportAndReload(*broker_); }

  void ConnectObserver(MqttTestClient& observer, int port) {
    MqttConnectOptions options;
    options.port = port;
    options.username = kObserverUser;
    options.password = kObserverPassword;
    const auto connected = observer.Connect(options);
    ASSERT_TRUE(connected.ok) << connected.error << Diagnostics();
  }
  static std::string StatusTopic(const std::string& uuid) {
    return "iot/device/" + uuid + "/status";
  }

  // First boot up to a connected agent seen `online` by `observer`.
  std::string BootAndConnect(MqttTestClient& observer) {
    StartAgent();
    EXPECT_TRUE(WaitRegistered(20s)) << Diagnostics();
    const std::string uuid = JsonString(State(), "uuid");
    EXPECT_FALSE(uuid.empty()) << Diagnostics();
    ExportAndReload();
    ConnectObserver(observer, broker_->plain_port());
    EXPECT_TRUE(observer.Subscribe(StatusTopic(uuid)));
    EXPECT_TRUE(agent_->WaitForLog("connected: connected to the broker", kConnectBound))
        << Diagnostics();
    EXPECT_EQ(observer.WaitForMessage(StatusTopic(uuid), 10s), "online") << Diagnostics();
    return uuid;
  }

  // How often `needle` is in the agent's log so far.
  int CountInAgentLog(const std::string& needle) const {
    const std::string log = agent_->Log();
    int count = 0;
    for (auto at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) {
      ++count;
    }
    return count;
  }
  // True once `needle` is in the agent's log at least `count` times.
  bool WaitForLogCount(const std::string& needle, int count,
                       std::chrono::milliseconds bound) const {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (CountInAgentLog(needle) < count) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(20ms);
    }
    return true;
  }
  // True once the operator's device read says the device is in sync.
  bool WaitInSync(const std::string& uuid, std::chrono::milliseconds bound) const {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
      const HttpResponse device = server_->Admin("GET", "/api/v1/devices/" + uuid);
      const rapidjson::Document row = ParseJsonObject(device.body);
      if (const rapidjson::Value* reported = JsonMember(row, "reported")) {
        if (testing::JsonBool(*reported, "inSync") == true) return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  // No secret of the device in the agent's log.
  void ExpectNoSecretsInAgentLog() const {
    const std::string log = agent_->Log();
    const rapidjson::Document state = State();
    EXPECT_EQ(log.find(provisioning_key_), std::string::npos) << log;
    const std::string device_key = JsonString(state, "deviceKey");
    ASSERT_FALSE(device_key.empty());
    EXPECT_EQ(log.find(device_key), std::string::npos) << log;
    if (const rapidjson::Value* mqtt = JsonMember(state, "mqtt")) {
      const std::string password = JsonString(*mqtt, "password");
      ASSERT_FALSE(password.empty());
      EXPECT_EQ(log.find(password), std::string::npos) << log;
    }
  }

  testing::MosquittoBroker* broker_ = nullptr;  // in brokers_
  std::unique_ptr<AgentProcess> agent_;
  std::string provisioning_key_;
  std::int64_t key_id_ = 0;
};

TEST_P(AgentE2eTest, FirstBootRegistersConnectsPublishesOnlineAndStopsCleanlyOnSigterm) {
  StartServer();
  CreatePlainDefaultBroker(*broker_);
  ASSERT_NO_FATAL_FAILURE(CreateProvisioningKey());
  MqttTestClient observer;
  const std::string uuid = BootAndConnect(observer);
  ASSERT_FALSE(HasFailure());

  // The server knows one device, counted once, and the state file is private.
  EXPECT_EQ(DeviceCount(), 1);
  EXPECT_EQ(DevicesProvisioned(), 1);
  const HttpResponse device = server_->Admin("GET", "/api/v1/devices/" + uuid);
  ASSERT_EQ(device.status, 200) << device.body;
  const rapidjson::Document row = ParseJsonObject(device.body);
  EXPECT_EQ(JsonString(row, "device_name"), "e2e-device");
  EXPECT_EQ(JsonString(row, "fleet_id"), "agents");
  struct stat info {};
  ASSERT_EQ(stat(StatePath().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  // The agent reports its state after the connection, so the read above may
  // come first (it did under ASan): wait for the report to make it in sync.
  EXPECT_TRUE(WaitInSync(uuid, 10s)) << Diagnostics();

  // SIGTERM: `offline` published by the agent, then a clean DISCONNECT (the
  // broker logs "disconnected." for those only; a will would follow
  // "closed its connection" or a socket error).
  EXPECT_EQ(agent_->Stop(SIGTERM), 0) << Diagnostics();
  EXPECT_EQ(observer.WaitForMessage(StatusTopic(uuid), 5s), "offline") << Diagnostics();
  const std::string broker_log = broker_->Log();
  EXPECT_NE(broker_log.find("Client " + uuid + " disconnected."), std::string::npos) << broker_log;
  EXPECT_EQ(broker_log.find("Client " + uuid + " closed its connection"), std::string::npos)
      << broker_log;
  EXPECT_NE(agent_->Log().find("disconnected cleanly"), std::string::npos) << agent_->Log();
  ExpectNoSecretsInAgentLog();
}

TEST_P(AgentE2eTest, RestartReusesItsIdentityWithoutANewRegistration) {
  StartServer();
  CreatePlainDefaultBroker(*broker_);
  ASSERT_NO_FATAL_FAILURE(CreateProvisioningKey());
  MqttTestClient observer;
  const std::string uuid = BootAndConnect(observer);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(agent_->Stop(SIGTERM), 0) << Diagnostics();
  const std::string state_before = testing::ReadFile(StatePath());

  // --once: connect, report, disconnect, exit 0, with the stored identity.
  StartAgent({"--once"});
  const std::optional<int> code = agent_->WaitExit(kConnectBound);
  ASSERT_EQ(code, 0) << Diagnostics();
  EXPECT_EQ(JsonString(State(), "uuid"), uuid);
  EXPECT_EQ(JsonString(State(), "deviceKey"),
            JsonString(ParseJsonObject(state_before), "deviceKey"));
  EXPECT_EQ(DeviceCount(), 1);
  EXPECT_EQ(DevicesProvisioned(), 1);
  const std::string log = agent_->Log();
  const auto second_run = log.rfind("state_loaded");
  ASSERT_NE(second_run, std::string::npos) << log;
  EXPECT_EQ(log.find("registering", second_run), std::string::npos) << log;
  EXPECT_NE(log.find("connected: connected to the broker", second_run), std::string::npos) << log;

  // --print-state shows the identity without its secrets.
  const auto printed =
      testing::RunCommand(testing::ShellQuote(testing::AgentBinary()) +
                          " --print-state --state-dir " + testing::ShellQuote(StateDir()));
  EXPECT_EQ(printed.exit_code, 0) << printed.output;
  EXPECT_NE(printed.output.find(uuid), std::string::npos) << printed.output;
  EXPECT_EQ(printed.output.find(JsonString(State(), "deviceKey")), std::string::npos);
  ExpectNoSecretsInAgentLog();
}

TEST_P(AgentE2eTest, LostRegistrationAnswerIsRetriedWithTheSameIdentityAndCountedOnce) {
  StartServer();
  CreatePlainDefaultBroker(*broker_);
  ASSERT_NO_FATAL_FAILURE(CreateProvisioningKey());

  // The agent makes and stores its identity before the first request; with
  // no server to answer it keeps retrying. Stopped there, it leaves a
  // pending identity behind.
  StartAgent({}, "http://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort()));
  ASSERT_TRUE(agent_->WaitForLog("register_failed", 10s)) << Diagnostics();
  ASSERT_EQ(agent_->Stop(SIGTERM), 0) << Diagnostics();
  const rapidjson::Document pending = State();
  ASSERT_EQ(testing::JsonBool(pending, "registered"), false) << testing::ReadFile(StatePath());
  const std::string uuid = JsonString(pending, "uuid");
  const std::string device_key = JsonString(pending, "deviceKey");
  ASSERT_GE(device_key.size(), 32u);

  // The server did register it, but the answer was lost on the way back.
  const HttpResponse lost =
      testing::OneShot(server_->port(), "POST", "/api/v1/device/register",
                       Headers{{"Authorization", "Bearer " + provisioning_key_},
                               {"Content-Type", "application/json"}},
                       JsonBody()
                           .Add("uuid", uuid)
                           .Add("deviceName", "e2e-device")
                           .Add("deviceType", "e2e-agent")
                           .Add("deviceApiKey", device_key)
                           .Take());
  ASSERT_EQ(lost.status, 200) << lost.body;
  const rapidjson::Document lost_answer = ParseJsonObject(lost.body);
  const std::string lost_password = JsonString(*JsonMember(lost_answer, "mqtt"), "password");
  ASSERT_EQ(DevicesProvisioned(), 1);

  // The restarted agent retries with the same uuid and key: the same device,
  // no second count, a re-issued password stored and used.
  MqttTestClient observer;
  EXPECT_EQ(BootAndConnect(observer), uuid);
  EXPECT_EQ(DeviceCount(), 1);
  EXPECT_EQ(DevicesProvisioned(), 1);
  const rapidjson::Document state = State();  // JsonMember points into it
  const rapidjson::Value* mqtt = JsonMember(state, "mqtt");
  ASSERT_NE(mqtt, nullptr);
  EXPECT_NE(JsonString(*mqtt, "password"), lost_password) << "the retry re-issues the password";
  ExpectNoSecretsInAgentLog();
}

TEST_P(AgentE2eTest, CorruptStateFileStopsItNamingTheFileAndLeavesTheFileAlone) {
  StartServer();
  CreatePlainDefaultBroker(*broker_);
  ASSERT_NO_FATAL_FAILURE(CreateProvisioningKey());
  std::filesystem::create_directories(StateDir());
  const std::string garbage = "{\"format\":1,\"uuid\":\"3f2b8c1e-9a4d-4e6b";  // cut short
  testing::WriteFile(StatePath(), garbage);

  StartAgent();
  const std::optional<int> code = agent_->WaitExit(20s);
  ASSERT_TRUE(code.has_value()) << "the agent kept running" << Diagnostics();
  EXPECT_NE(*code, 0);
  EXPECT_NE(agent_->Log().find(StatePath()), std::string::npos) << agent_->Log();
  EXPECT_EQ(testing::ReadFile(StatePath()), garbage);
  EXPECT_EQ(DeviceCount(), 0) << "nothing registered with a new identity";
}

TEST_P(AgentE2eTest, WrongProvisioningKeyExitsNonZeroWithTheServersMessage) {
  StartServer();
  CreatePlainDefaultBroker(*broker_);
  ASSERT_NO_FATAL_FAILURE(CreateProvisioningKey());
  testing::WriteFile(KeyFile(), "not-the-key-0123456789abcdefghijklmnopqrstu\n");

  StartAgent();
  const std::optional<int> code = agent_->WaitExit(20s);
  ASSERT_TRUE(code.has_value()) << "the agent kept running" << Diagnostics();
  EXPECT_EQ(*code, 1);
  const std::string log = agent_->Log();
  EXPECT_NE(log.find("HTTP 401: invalid provisioning key"), std::string::npos) << log;
  EXPECT_EQ(log.find("not-the-key-0123456789"), std::string::npos) << "the key is never logged";
  EXPECT_EQ(DeviceCount(), 0);
  // The identity it made is kept for the next try with the right key.
  EXPECT_EQ(testing::JsonBool(State(), "registered"), false);
}

TEST_P(AgentE2eTest, ConnectsOverTlsWithTheHandedOutCaAndRefusesAnotherCa) {
  StartServer();
  const std::int64_t tls_id = CreateTlsDefaultBroker(pki_->ca_cert);
  ASSERT_GT(tls_id, 0);
  ASSERT_NO_FATAL_FAILURE(CreateProvisioningKey());
  MqttTestClient observer;
  const std::string uuid = BootAndConnect(observer);
  ASSERT_FALSE(HasFailure());
  EXPECT_NE(agent_->Log().find("broker=mqtts://localhost:" + std::to_string(broker_->tls_port())),
            std::string::npos)
      << agent_->Log();
  // The CA it was handed is kept beside the state, private.
  bool ca_file = false;
  for (const auto& entry : std::filesystem::directory_iterator(StateDir())) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("ca-", 0) != 0) continue;
    ca_file = true;
    EXPECT_EQ(testing::ReadFile(entry.path().string()), testing::ReadFile(pki_->ca_cert));
    struct stat info {};
    ASSERT_EQ(stat(entry.path().c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
  }
  EXPECT_TRUE(ca_file);
  ASSERT_EQ(agent_->Stop(SIGTERM), 0) << Diagnostics();

  // The operator hands out a CA that did not sign the broker's certificate:
  // the handshake fails (verification on), nothing connects, --once gives up.
  const HttpResponse put =
      server_->Admin("PUT", "/api/v1/mqtt/brokers/" + std::to_string(tls_id),
                     JsonBody().Add("ca_cert", testing::ReadFile(pki_->other_ca_cert)).Take());
  ASSERT_EQ(put.status, 200) << put.body;
  StartAgent({"--once"});
  const std::optional<int> code = agent_->WaitExit(60s);
  ASSERT_TRUE(code.has_value()) << Diagnostics();
  EXPECT_EQ(*code, 1) << Diagnostics();
  const std::string log = agent_->Log();
  EXPECT_NE(log.find("certificate verify failed"), std::string::npos) << log;
  EXPECT_EQ(log.rfind("connected: connected to the broker"),
            log.find("connected: connected to the broker"))
      << "only the first run connected";
}

TEST_P(AgentE2eTest, ServerDownAtRestartConnectsWithTheStoredConfigAndKeepsRetrying) {
  StartServer();
  CreatePlainDefaultBroker(*broker_);
  ASSERT_NO_FATAL_FAILURE(CreateProvisioningKey());
  MqttTestClient observer;
  const std::string uuid = BootAndConnect(observer);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(agent_->Stop(SIGTERM), 0) << Diagnostics();
  EXPECT_EQ(observer.WaitForMessage(StatusTopic(uuid), 5s), "offline");
  const std::string url = ServerUrl();
  server_->Stop(SIGTERM);

  StartAgent({}, url);
  ASSERT_TRUE(agent_->WaitForLog("refresh_failed", 10s)) << Diagnostics();
  EXPECT_EQ(observer.WaitForMessage(StatusTopic(uuid), kConnectBound), "online") << Diagnostics();
  // Still connected, and the process did not give up.
  EXPECT_FALSE(agent_->WaitExit(1s).has_value()) << Diagnostics();
  EXPECT_EQ(agent_->Stop(SIGTERM), 0) << Diagnostics();
  EXPECT_EQ(observer.WaitForMessage(StatusTopic(uuid), 5s), "offline");
}

// Case 5: the operator pins the device to another broker; the agent is on
// it within refreshAfterSeconds plus slack. Needs the server's
// `provisioning.refresh_after` (skipped until the server has it).
TEST_P(AgentE2eTest, ReassignedDeviceMovesToTheNewBrokerWithinTheRefreshInterval) {
  try {
    StartServer("provisioning:\n  refresh_after: 2s\n");
  } catch (const std::exception& error) {
    if (std::string(error.what()).find("refresh_after") != std::string::npos) {
      GTEST_SKIP() << "the server does not take provisioning.refresh_after yet (state reports "
                      "and refresh intervals are still to come on the server side)";
    }
    throw;
  }
  testing::MosquittoBroker& second = AddBroker("second");
  second.Start();
  CreatePlainDefaultBroker(*broker_, "first");
  const std::int64_t second_id = CreateBroker(JsonBody()
                                                  .Add("name", "second")
                                                  .Add("protocol", "mqtt")
                                                  .Add("host", "127.0.0.1")
                                                  .Add("port", second.plain_port())
                                                  .Take());
  ASSERT_NO_FATAL_FAILURE(CreateProvisioningKey());
  MqttTestClient observer;
  const std::string uuid = BootAndConnect(observer);
  ASSERT_FALSE(HasFailure());
  ExportAndReload(second);
  MqttTestClient second_observer;
  ConnectObserver(second_observer, second.plain_port());
  ASSERT_TRUE(second_observer.Subscribe(StatusTopic(uuid)));

  const HttpResponse put = server_->Admin("PUT", "/api/v1/devices/" + uuid,
                                          JsonBody().Add("mqtt_broker_id", second_id).Take());
  ASSERT_EQ(put.status, 200) << put.body;
  // 2 s ± 10 % until the refresh, then a clean move: `offline` on the old
  // broker, `online` on the new one.
  EXPECT_EQ(observer.WaitForMessage(StatusTopic(uuid), 15s), "offline") << Diagnostics();
  EXPECT_EQ(second_observer.WaitForMessage(StatusTopic(uuid), 15s), "online") << Diagnostics();
  EXPECT_TRUE(agent_->WaitForLog("config_changed", 1s)) << Diagnostics();
}

// Case 4: the primary dies and the agent is on its backup within the bound
// that the default `reconnect` implies: three attempts on the primary after
// 1, 2 and 4 s and the first on the backup after 1 s, each ± 25 %: at most
// 10 s, plus refused connects that fail at once; 20 s are allowed. While the
// primary is down the failback check finds it closed and stays
// (`failback_deferred`). Once the primary is back, the agent leaves the
// backup cleanly and is on the primary within one `failbackAfterSeconds`
// (the check runs every period while on a backup) plus the connection:
// kFailbackAfter + 10 s.
TEST_P(AgentE2eTest, KilledPrimaryMovesTheAgentToItsBackupAndBackAfterFailbackAfterSeconds) {
  constexpr auto kFailbackAfter = 4s;
  StartServer("provisioning:\n  reconnect:\n    failback_after: 4s\n");
  testing::MosquittoBroker& backup = AddBroker("backup");
  backup.Start();
  const std::int64_t primary_id = CreatePlainDefaultBroker(*broker_, "primary");
  const std::int64_t backup_id = CreateBroker(JsonBody()
                                                  .Add("name", "backup")
                                                  .Add("protocol", "mqtt")
                                                  .Add("host", "127.0.0.1")
                                                  .Add("port", backup.plain_port())
                                                  .Take());
  const HttpResponse backups =
      server_->Admin("PUT", "/api/v1/mqtt/brokers/" + std::to_string(primary_id),
                     "{\"backup_broker_ids\":[" + std::to_string(backup_id) + "]}");
  ASSERT_EQ(backups.status, 200) << backups.body;
  ASSERT_NO_FATAL_FAILURE(CreateProvisioningKey());
  MqttTestClient observer;
  const std::string uuid = BootAndConnect(observer);
  ASSERT_FALSE(HasFailure());
  const rapidjson::Document state = State();  // JsonMember points into it
  const rapidjson::Value* config = JsonMember(state, "config");
  ASSERT_NE(config, nullptr);
  const rapidjson::Value* failover = JsonMember(*config, "failover");
  ASSERT_TRUE(failover != nullptr && failover->IsArray() && failover->Size() == 1)
      << testing::ReadFile(StatePath());
  const rapidjson::Value* reconnect = JsonMember(*config, "reconnect");
  ASSERT_NE(reconnect, nullptr) << testing::ReadFile(StatePath());
  ASSERT_EQ(JsonInt(*reconnect, "failbackAfterSeconds"), 4);
  ExportAndReload(backup);
  MqttTestClient backup_observer;
  ConnectObserver(backup_observer, backup.plain_port());
  ASSERT_TRUE(backup_observer.Subscribe(StatusTopic(uuid)));

  broker_->Stop();
  ASSERT_EQ(backup_observer.WaitForMessage(StatusTopic(uuid), 20s), "online") << Diagnostics();
  EXPECT_TRUE(agent_->WaitForLog("failover: moving to the next endpoint", 1s)) << Diagnostics();

  // The primary is still down at the first check: the agent stays put.
  ASSERT_TRUE(agent_->WaitForLog("failback_deferred", kFailbackAfter + 5s)) << Diagnostics();
  EXPECT_EQ(CountInAgentLog("failback: the primary broker accepts"), 0) << Diagnostics();

  // The primary comes back on its ports (the device's password is still in
  // its password file): the agent says `offline` on the backup, disconnects
  // cleanly and is `online` on the primary.
  broker_->StartOnSamePorts();
  MqttTestClient primary_observer;
  ConnectObserver(primary_observer, broker_->plain_port());
  ASSERT_TRUE(primary_observer.Subscribe(StatusTopic(uuid)));
  EXPECT_EQ(primary_observer.WaitForMessage(StatusTopic(uuid), kFailbackAfter + 10s), "online")
      << Diagnostics();
  EXPECT_EQ(backup_observer.WaitForMessage(StatusTopic(uuid), 5s), "offline") << Diagnostics();
  EXPECT_TRUE(agent_->WaitForLog("failback: the primary broker accepts connections again", 1s))
      << Diagnostics();
  EXPECT_TRUE(backup.WaitForLog("Client " + uuid + " disconnected.", 5s)) << backup.Log();
  // Its report names the primary again.
  const auto reported_primary = [&] {
    const HttpResponse read = server_->Admin("GET", "/api/v1/devices/" + uuid);
    const rapidjson::Document row = ParseJsonObject(read.body);
    const rapidjson::Value* reported = JsonMember(row, "reported");
    return reported != nullptr && JsonInt(*reported, "brokerId") == primary_id &&
           testing::JsonBool(*reported, "connected") == true;
  };
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!reported_primary() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(reported_primary()) << Diagnostics();
}

// Case 6: the CA rotation an operator runs (docs/operations.md), with a new
// CA and a server certificate it signed made by the test. The agent refreshes
// every 2 s (± 10 %); every step is bounded by a few refreshes. The agent
// stays connected through the CA changes and loses its connection once:
// when the broker restarts with the new certificate.
TEST_P(AgentE2eTest, CaRotationKeepsTheAgentConnectedExceptForTheBrokerRestart) {
  StartServer("provisioning:\n  refresh_after: 2s\n");
  const std::int64_t tls_id = CreateTlsDefaultBroker(pki_->ca_cert);
  ASSERT_GT(tls_id, 0);
  ASSERT_NO_FATAL_FAILURE(CreateProvisioningKey());
  MqttTestClient observer;
  const std::string uuid = BootAndConnect(observer);
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(WaitInSync(uuid, 10s)) << Diagnostics();
  const testing::TestPki next = testing::TestPki::Generate(dir_.path() + "/pki-next");
  const std::string old_ca = testing::ReadFile(pki_->ca_cert);
  const std::string new_ca = testing::ReadFile(next.ca_cert);
  const std::string broker_path = "/api/v1/mqtt/brokers/" + std::to_string(tls_id);
  constexpr char kConnected[] = "connected: connected to the broker";
  ASSERT_EQ(CountInAgentLog(kConnected), 1) << Diagnostics();

  // 1. The new CA joins the bundle.
  const int changes = CountInAgentLog("config_changed");
  HttpResponse put =
      server_->Admin("PUT", broker_path, JsonBody().Add("ca_cert", old_ca + new_ca).Take());
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(JsonInt(ParseJsonObject(put.body), "ca_certs"), 2) << put.body;

  // 2. The agent refreshes, keeps its connection, and reports the new
  // version: in sync.
  ASSERT_TRUE(WaitForLogCount("config_changed", changes + 1, 15s)) << Diagnostics();
  ASSERT_TRUE(WaitInSync(uuid, 15s)) << Diagnostics();
  EXPECT_EQ(CountInAgentLog(kConnected), 1) << Diagnostics();
  EXPECT_EQ(CountInAgentLog("moving:"), 0) << Diagnostics();

  // 3. The broker's server certificate switches to one the new CA signed;
  // the broker restarts on its ports.
  broker_->Stop();
  broker_->SetServerCertificate(next.server_cert, next.server_key);
  broker_->StartOnSamePorts();

  // 4. The agent reconnects by itself, over TLS, verifying the new
  // certificate with the bundle it was handed.
  MqttTestClient second_observer;
  ConnectObserver(second_observer, broker_->plain_port());
  ASSERT_TRUE(second_observer.Subscribe(StatusTopic(uuid)));
  EXPECT_EQ(second_observer.WaitForMessage(StatusTopic(uuid), kConnectBound), "online")
      << Diagnostics();
  ASSERT_TRUE(WaitForLogCount(kConnected, 2, 5s)) << Diagnostics();
  EXPECT_EQ(CountInAgentLog("certificate verify failed"), 0) << Diagnostics();
  // The new certificate really is in use: the old CA alone refuses it.
  MqttTestClient old_ca_client;
  MqttConnectOptions tls;
  tls.host = "localhost";
  tls.port = broker_->tls_port();
  tls.username = kObserverUser;
  tls.password = kObserverPassword;
  tls.ca_file = pki_->ca_cert;
  EXPECT_FALSE(old_ca_client.Connect(tls).ok);

  // 5. The old CA leaves the bundle.
  const int lost = CountInAgentLog("disconnected:");
  put = server_->Admin("PUT", broker_path, JsonBody().Add("ca_cert", new_ca).Take());
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(JsonInt(ParseJsonObject(put.body), "ca_certs"), 1) << put.body;

  // 6. After its next refresh the agent is still connected, in sync, and
  // has kept its connection (no new connection, no loss, no move).
  ASSERT_TRUE(WaitForLogCount("config_changed", changes + 2, 15s)) << Diagnostics();
  ASSERT_TRUE(WaitInSync(uuid, 15s)) << Diagnostics();
  const int refreshes = CountInAgentLog("refreshed:");
  ASSERT_TRUE(WaitForLogCount("refreshed:", refreshes + 1, 10s)) << Diagnostics();
  EXPECT_EQ(CountInAgentLog(kConnected), 2) << Diagnostics();
  EXPECT_EQ(CountInAgentLog("disconnected:"), lost) << Diagnostics();
  EXPECT_EQ(CountInAgentLog("moving:"), 0) << Diagnostics();
  EXPECT_FALSE(second_observer.WaitForMessage(StatusTopic(uuid), 1s).has_value())
      << "no offline, no second online";
  // The file of the bundle with the old CA is gone (the agent writes the
  // new bundle's file when it next connects).
  for (const auto& entry : std::filesystem::directory_iterator(StateDir())) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("ca-", 0) != 0) continue;
    EXPECT_EQ(testing::ReadFile(entry.path().string()), new_ca) << name;
  }
  ExpectNoSecretsInAgentLog();
}

SWITCHBOARD_BOTH_BACKENDS(AgentE2eTest);

}  // namespace
}  // namespace switchboard::testing
