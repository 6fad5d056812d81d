// The health monitor against a real Mosquitto, on both backends: a broker
// that stops is marked unhealthy within unhealthy_threshold × interval plus
// one interval, and healthy again after healthy_threshold successful probes
// once it is back; a TLS broker is probed against its CA bundle.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <functional>
#include <thread>

#include "api_test_support.h"
#include "eventually.h"
#include "mosquitto_e2e_fixture.h"
#include "util/time.h"

namespace switchboard::testing {
namespace {

constexpr int kIntervalMs = 1000;
constexpr int kUnhealthyThreshold = 2;
constexpr int kHealthyThreshold = 2;

class HealthE2eTest : public testing::MosquittoE2eTest {
 protected:
  void SetUp() override {
    MosquittoE2eTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // The probe logs in with the broker's server-side credentials.
    broker_ = &StartBrokerWithUser("broker", "svc", "svc-broker-password-5e2a");
    auto options = testing::ServeOptions(url());
    options.extra_yaml = HealthYaml(kIntervalMs, kUnhealthyThreshold, kHealthyThreshold);
    server_ = SwitchboardProcess::Start(options);
  }

  rapidjson::Document Health(std::int64_t id) {
    return Json(server_->Admin("GET", "/api/v1/mqtt/brokers/" + std::to_string(id) + "/health"));
  }

  bool WaitForState(std::int64_t id, const std::string& state) {
    return Eventually([&] { return String(Health(id), "state") == state; },
                      std::chrono::seconds(20));
  }

  testing::MosquittoBroker* broker_ = nullptr;  // in brokers_
};

TEST_P(HealthE2eTest, StoppedBrokerTurnsUnhealthyAndHealthyAgainWhenBack) {
  const std::int64_t id = CreateBroker(
      R"({"name":"mosq","host":"127.0.0.1","port":)" + std::to_string(broker_->plain_port()) +
      R"(,"username":"svc","password":"svc-broker-password-5e2a"})");
  ASSERT_TRUE(WaitForState(id, "healthy")) << server_->Log() << broker_->Log();

  broker_->Stop();
  const long long stopped = MillisOf(UtcNowIso8601());
  ASSERT_TRUE(WaitForState(id, "unhealthy")) << server_->Log();
  auto health = Health(id);
  const long long down_after = MillisOf(String(health, "since")) - stopped;
  EXPECT_LE(down_after, kUnhealthyThreshold * kIntervalMs + kIntervalMs)
      << "unhealthy " << down_after << " ms after the broker stopped";
  EXPECT_NE(String(health, "lastError").find("tcp"), std::string::npos);

  broker_->StartOnSamePorts();
  const long long started = MillisOf(UtcNowIso8601());
  ASSERT_TRUE(WaitForState(id, "healthy")) << server_->Log() << broker_->Log();
  health = Health(id);
  const long long healthy_at = MillisOf(String(health, "since"));
  EXPECT_LE(healthy_at - started, kHealthyThreshold * kIntervalMs + kIntervalMs);
  // Exactly healthy_threshold successes, after the last failure, made it
  // healthy: the checks up to `since`, newest first.
  int successes = 0;
  for (const auto& check : health["checks"].GetArray()) {
    if (MillisOf(String(check, "checkedAt")) > healthy_at) continue;
    if (!check["ok"].GetBool()) break;
    ++successes;
  }
  EXPECT_EQ(successes, kHealthyThreshold);
  EXPECT_EQ(server_->Log().find("svc-broker-password"), std::string::npos);
}

TEST_P(HealthE2eTest, TlsBrokerIsProbedAgainstItsCaBundle) {
  // The right CA among two: healthy. Only the wrong one: unhealthy at `tls`.
  const std::string bundle =
      testing::ReadFile(pki_->other_ca_cert) + testing::ReadFile(pki_->ca_cert);
  const std::string common = R"("host":"localhost","port":)" + std::to_string(broker_->tls_port()) +
                             R"(,"protocol":"mqtts","use_tls":true,"username":"svc",)"
                             R"("password":"svc-broker-password-5e2a","ca_cert":)";
  const std::int64_t good =
      CreateBroker(R"({"name":"tls-good",)" + common + JsonQuoted(bundle) + "}");
  const std::int64_t bad = CreateBroker(R"({"name":"tls-bad",)" + common +
                                        JsonQuoted(testing::ReadFile(pki_->other_ca_cert)) + "}");
  ASSERT_TRUE(WaitForState(good, "healthy")) << server_->Log();
  ASSERT_TRUE(WaitForState(bad, "unhealthy")) << server_->Log();
  EXPECT_EQ(String(Health(bad)["checks"][0], "stage"), "tls");
  const auto read = Json(server_->Admin("GET", "/api/v1/mqtt/brokers/" + std::to_string(good)));
  EXPECT_EQ(Int(read, "ca_certs"), 2);
  // The test PKI is valid for two days: flagged.
  EXPECT_TRUE(read["ca_cert_expiring_soon"].GetBool());
}

SWITCHBOARD_BOTH_BACKENDS(HealthE2eTest);

}  // namespace
}  // namespace switchboard::testing
