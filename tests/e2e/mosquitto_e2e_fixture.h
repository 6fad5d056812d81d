// The fixture of the end-to-end suites that run real Mosquitto brokers
// (support/mosquitto_fixture.h) beside `switchboard serve`, on both backends:
// one throwaway PKI per suite, a temp directory per test, the brokers of the
// test, the server, and the broker rows the tests create over the operator
// API.
//
//   class ProvisioningE2eTest : public testing::MosquittoE2eTest {
//    protected:
//     void SetUp() override {
//       MosquittoE2eTest::SetUp();
//       if (IsSkipped() || HasFatalFailure()) return;
//       broker_ = &AddBroker("broker");
//       broker_->Start();
//       server_ = testing::SwitchboardProcess::Start(testing::ServeOptions(url()));
//     }
//     testing::MosquittoBroker* broker_ = nullptr;
//   };
//
// Without Mosquitto a test is skipped, or fails under CI=true
// (missing_tool.h). Not thread-safe: the test's own thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "device_agent.h"
#include "mosquitto_fixture.h"
#include "mqtt_test_client.h"
#include "switchboard_process.h"
#include "test_database.h"

namespace switchboard::testing {

class MosquittoE2eTest : public DatabaseTest {
 protected:
  // Generates the suite's PKI (openssl takes a moment, once per suite is
  // enough) into a temp directory of the suite, when Mosquitto is there.
  // A derived suite that keeps more files there calls this first.
  static void SetUpTestSuite();
  static void TearDownTestSuite();

  // Skips the test (fails it under CI=true) without Mosquitto, then
  // DatabaseTest::SetUp(). A derived SetUp calls this first and returns when
  // `IsSkipped() || HasFatalFailure()`.
  void SetUp() override;
  // Stops the server, then every broker of brokers_, then drops the
  // database. A derived TearDown checks the logs first, then calls this.
  void TearDown() override;

  // A broker (not started) whose config, log, password and ACL files live in
  // dir_/<name>, created; owned by brokers_, stopped by TearDown(). `name`
  // must be new in this test.
  MosquittoBroker& AddBroker(const std::string& name);
  // AddBroker(name) with one user in its password file, whose ACL grants
  // reading $SYS/# and nothing else, started: a broker the health probe
  // logs in to as that user (it only connects).
  MosquittoBroker& StartBrokerWithUser(const std::string& name, const std::string& user,
                                       const std::string& password);

  // POST /api/v1/mqtt/brokers with `body` on server_; the new row's id. A
  // status other than 201 or no id fails the test (0 is returned).
  std::int64_t CreateBroker(const std::string& body);

  // Writes `path` with `mosquitto_passwd -c -b`: one user, for a static user
  // an operator appends to each export (docs/mosquitto.md). Throws
  // std::runtime_error with the tool's output when it fails.
  static void MakePasswordFile(const std::string& path, const std::string& user,
                               const std::string& password);
  // The real `switchboard export mosquitto` with `config_path`, writing
  // `broker`'s password and ACL files (no reload: the caller decides when).
  // A failed export is a fatal failure (ASSERT_NO_FATAL_FAILURE to stop).
  static void ExportMosquittoFiles(const std::string& config_path, const MosquittoBroker& broker);

  // The server's log and each broker's, to append to a failure message.
  virtual std::string Diagnostics() const;

  // A `health:` section: probes every `interval_ms`, a 500 ms timeout, the
  // two thresholds, and no jitter, so that a broker is due exactly one
  // interval after its last probe and a test's bounds hold without a random
  // share on top (docs/health.md, "The numbers").
  static std::string HealthYaml(int interval_ms, int unhealthy_threshold, int healthy_threshold);

  // The suite's, valid while the suite runs: set by SetUpTestSuite() (null
  // without Mosquitto, whose tests are skipped before they could use them).
  static TempDir* suite_dir_;
  static TestPki* pki_;

  // Declared in this order so that, should TearDown() not have run, the
  // server stops before the brokers and both before their files go.
  TempDir dir_;
  std::vector<std::unique_ptr<MosquittoBroker>> brokers_;
  std::unique_ptr<SwitchboardProcess> server_;
};

// Two devices connected to one broker as clients `a` and `b` (each with its
// own MqttAccess from registration) reach nothing of each other: what b
// publishes under its tree never reaches a, whose subscription to b's tree
// the caller has made before (Mosquitto 2.0.11 grants it, PITFALLS), and
// what a publishes into b's tree never reaches b. Each message that must not
// arrive is waited for `quiet` after a later one on the same connection did
// (Mosquitto keeps per-client order): by then it was never queued. A publish
// that is not acknowledged is a fatal failure and ends the checks.
void ExpectTopicsIsolated(MqttTestClient& client_a, const MqttAccess& a, MqttTestClient& client_b,
                          const MqttAccess& b, std::chrono::milliseconds quiet);

}  // namespace switchboard::testing
