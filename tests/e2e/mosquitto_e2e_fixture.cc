#include "mosquitto_e2e_fixture.h"

#include <filesystem>
#include <optional>
#include <stdexcept>

#include "missing_tool.h"
#include "process.h"
#include "util/crypto.h"

namespace switchboard::testing {

TempDir* MosquittoE2eTest::suite_dir_ = nullptr;
TestPki* MosquittoE2eTest::pki_ = nullptr;

void MosquittoE2eTest::SetUpTestSuite() {
  if (!MosquittoAvailable()) return;
  suite_dir_ = new TempDir();
  pki_ = new TestPki(TestPki::Generate(suite_dir_->path() + "/pki"));
}

void MosquittoE2eTest::TearDownTestSuite() {
  delete pki_;
  delete suite_dir_;
  pki_ = nullptr;
  suite_dir_ = nullptr;
}

void MosquittoE2eTest::SetUp() {
  if (!MosquittoAvailable()) SWITCHBOARD_MISSING_TOOL("mosquitto is not installed (scripts/setup)");
  DatabaseTest::SetUp();
}

void MosquittoE2eTest::TearDown() {
  server_.reset();
  brokers_.clear();
  DatabaseTest::TearDown();
}

MosquittoBroker& MosquittoE2eTest::AddBroker(const std::string& name) {
  const std::string dir = dir_.path() + "/" + name;
  std::filesystem::create_directories(dir);
  brokers_.push_back(std::make_unique<MosquittoBroker>(*pki_, dir + "/passwd", dir + "/acl"));
  return *brokers_.back();
}

MosquittoBroker& MosquittoE2eTest::StartBrokerWithUser(const std::string& name,
                                                       const std::string& user,
                                                       const std::string& password) {
  MosquittoBroker& broker = AddBroker(name);
  WriteFile(broker.password_file(), user + ":" + MosquittoPasswordHash(password) + "\n");
  WriteFile(broker.acl_file(), "user " + user + "\ntopic read $SYS/#\n");
  broker.Start();
  return broker;
}

std::int64_t MosquittoE2eTest::CreateBroker(const std::string& body) {
  const HttpResponse response = server_->Admin("POST", "/api/v1/mqtt/brokers", body);
  EXPECT_EQ(response.status, 201) << response.body << Diagnostics();
  const std::int64_t id = JsonInt(ParseJsonObject(response.body), "id").value_or(0);
  EXPECT_GT(id, 0) << response.body;
  return id;
}

void MosquittoE2eTest::MakePasswordFile(const std::string& path, const std::string& user,
                                        const std::string& password) {
  const CommandResult made = RunCommand("mosquitto_passwd -c -b " + ShellQuote(path) + " " +
                                        ShellQuote(user) + " " + ShellQuote(password));
  if (made.exit_code != 0) throw std::runtime_error("mosquitto_passwd: " + made.output);
}

void MosquittoE2eTest::ExportMosquittoFiles(const std::string& config_path,
                                            const MosquittoBroker& broker) {
  const CommandResult exported =
      RunCommand(SwitchboardBinary() + " export mosquitto --config " + ShellQuote(config_path) +
                 " --password-file " + ShellQuote(broker.password_file()) + " --acl-file " +
                 ShellQuote(broker.acl_file()));
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
}

std::string MosquittoE2eTest::Diagnostics() const {
  std::string text;
  if (server_) text += "\n--- switchboard log ---\n" + server_->Log();
  for (const auto& broker : brokers_) text += "\n--- mosquitto log ---\n" + broker->Log();
  return text;
}

std::string MosquittoE2eTest::HealthYaml(int interval_ms, int unhealthy_threshold,
                                         int healthy_threshold) {
  return "health:\n  interval: " + std::to_string(interval_ms) +
         "ms\n  timeout: 500ms\n  unhealthy_threshold: " + std::to_string(unhealthy_threshold) +
         "\n  healthy_threshold: " + std::to_string(healthy_threshold) + "\n  jitter: 0%\n";
}

void ExpectTopicsIsolated(MqttTestClient& client_a, const MqttAccess& a, MqttTestClient& client_b,
                          const MqttAccess& b, std::chrono::milliseconds quiet) {
  ASSERT_FALSE(a.publish.empty()) << "device a has no topic to publish to";
  ASSERT_FALSE(b.publish.empty()) << "device b has no topic to publish to";
  const auto a_topic = [&](const std::string& leaf) { return TopicUnder(a.publish.front(), leaf); };
  const auto b_topic = [&](const std::string& leaf) { return TopicUnder(b.publish.front(), leaf); };

  // b's message reaches b; a's own message, published after b's was
  // acknowledged, reaches a: b's would have been queued to a before it.
  ASSERT_TRUE(client_b.Publish(b_topic("telemetry"), "b-reading"));
  EXPECT_EQ(client_b.WaitForMessage(b_topic("telemetry")), "b-reading");
  ASSERT_TRUE(client_a.Publish(a_topic("marker"), "a-marker"));
  EXPECT_EQ(client_a.WaitForMessage(a_topic("marker")), "a-marker");
  EXPECT_EQ(client_a.WaitForMessage(b_topic("telemetry"), quiet), std::nullopt);

  // a's write into b's tree is acknowledged and dropped: b's own later
  // message arrives, the forged one never does.
  ASSERT_TRUE(client_a.Publish(b_topic("command"), "forged"));
  ASSERT_TRUE(client_b.Publish(b_topic("marker"), "b-marker"));
  EXPECT_EQ(client_b.WaitForMessage(b_topic("marker")), "b-marker");
  EXPECT_EQ(client_b.WaitForMessage(b_topic("command"), quiet), std::nullopt);
}

}  // namespace switchboard::testing
