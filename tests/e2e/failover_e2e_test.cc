// Failover with three real Mosquitto brokers, on both backends: a device
// assigned to A (backup B, whose backup is C) is handed B within
// unhealthy_threshold × interval plus one interval of A stopping, A again
// once it has answered healthy_threshold probes, and with every broker down
// the list in its original order (never an empty answer). Its configVersion
// follows what it is told: it changes on the failover and on the failback,
// and not when a broker the device would only reach last goes down.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "api_test_support.h"
#include "eventually.h"
#include "mosquitto_e2e_fixture.h"
#include "util/time.h"

namespace switchboard::testing {
namespace {

// Short health intervals; the bounds below follow from them (docs/health.md,
// "The numbers"). jitter 0%: a broker is due exactly one interval after its
// last probe, so the bounds hold without a random share on top.
constexpr int kIntervalMs = 1000;
constexpr int kUnhealthyThreshold = 2;
constexpr int kHealthyThreshold = 2;
// A stopped broker fails its next probes at once (connection refused): it is
// unhealthy after unhealthy_threshold of them, the first up to one interval
// after the stop. The extra interval is the slack for the scheduler's tick,
// the snapshot and a loaded machine.
constexpr long long kFailoverBoundMs = kUnhealthyThreshold * kIntervalMs + kIntervalMs;
constexpr long long kFailbackBoundMs = kHealthyThreshold * kIntervalMs + kIntervalMs;

constexpr char kDeviceKey[] = "failover-device-key-0123456789";
constexpr char kProbePassword[] = "svc-broker-password-7c41";

long long NowMillis() { return MillisOf(UtcNowIso8601()); }

// What the device was told by one fetch.
struct Answer {
  std::string broker;
  std::vector<std::string> failover;  // each endpoint's `broker`
  std::string config_version;
  long long received_at = 0;  // ms since the epoch, when the answer was in
};

class FailoverE2eTest : public testing::MosquittoE2eTest {
 protected:
  void SetUp() override {
    MosquittoE2eTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // Three brokers, each in a directory of its own; the probe logs in as `svc`.
    for (const char* name : {"a", "b", "c"}) StartBrokerWithUser(name, "svc", kProbePassword);
    auto options = testing::ServeOptions(url());
    options.extra_yaml = HealthYaml(kIntervalMs, kUnhealthyThreshold, kHealthyThreshold);
    server_ = SwitchboardProcess::Start(options);

    // A → [B], B → [C]: C reaches the list as a backup of a backup.
    // A is the default too, so that registration resolves; then the device
    // is assigned to it.
    c_ = CreateBroker("c", *brokers_[2], "");
    b_ = CreateBroker("b", *brokers_[1], std::to_string(c_));
    a_ = CreateBroker("a", *brokers_[0], std::to_string(b_), R"(,"is_default":true)");
    const std::string key = testing::CreateKey(*server_, "fleet-failover-e2e");
    ASSERT_EQ(testing::Register(*server_, key, Uuid(), kDeviceKey).status, 200);
    const HttpResponse assigned = testing::AdminJson(*server_, "PUT", "/api/v1/devices/" + Uuid(),
                                                     R"({"mqtt_broker_id":)" + Id(a_) + "}");
    ASSERT_EQ(assigned.status, 200) << assigned.body;
  }

  static std::string Id(std::int64_t id) { return std::to_string(id); }
  static std::string Uuid() { return testing::TestUuid(13); }
  static std::string Url(const testing::MosquittoBroker& broker) {
    return "mqtt://127.0.0.1:" + std::to_string(broker.plain_port());
  }
  std::string UrlA() const { return Url(*brokers_[0]); }
  std::string UrlB() const { return Url(*brokers_[1]); }
  std::string UrlC() const { return Url(*brokers_[2]); }

  using MosquittoE2eTest::CreateBroker;
  std::int64_t CreateBroker(const std::string& name, const testing::MosquittoBroker& broker,
                            const std::string& backups, const std::string& extra = "") {
    return CreateBroker(R"({"name":")" + name + R"(","host":"127.0.0.1","port":)" +
                        std::to_string(broker.plain_port()) + R"(,"username":"svc","password":")" +
                        kProbePassword + R"(","backup_broker_ids":[)" + backups + "]" + extra +
                        "}");
  }

  // Waits (20 s at most: this is not a bound under test) until explain
  // lists the endpoints so ("<name>:<health>", in order). Explain orders
  // them by the snapshot the device's fetch uses, which may trail the
  // stored state (GET …/health) by a scheduler tick.
  bool WaitForEndpoints(const std::vector<std::string>& expected) {
    return Eventually([&] { return Endpoints(Explain()) == expected; }, std::chrono::seconds(20));
  }

  Answer Fetch() {
    const HttpResponse r =
        testing::OneShot(server_->port(), "GET", "/api/v1/device/" + Uuid() + "/mqtt",
                         {{"X-Device-API-Key", kDeviceKey}});
    Answer answer;
    answer.received_at = NowMillis();
    EXPECT_EQ(r.status, 200) << r.body;
    const rapidjson::Document body = Json(r);
    answer.broker = String(body, "broker");
    answer.config_version = String(body, "configVersion");
    if (body.IsObject() && body.HasMember("failover") && body["failover"].IsArray()) {
      for (const auto& endpoint : body["failover"].GetArray()) {
        answer.failover.push_back(String(endpoint, "broker"));
      }
    } else {
      ADD_FAILURE() << "no failover list: " << r.body;
    }
    return answer;
  }
  // Fetches every 50 ms until the device is handed `broker` (20 s at most);
  // the answer that first did.
  std::optional<Answer> FetchUntilHandedOut(const std::string& broker) {
    std::optional<Answer> found;
    Eventually(
        [&] {
          Answer answer = Fetch();
          if (answer.broker != broker) return false;
          found = std::move(answer);
          return true;
        },
        std::chrono::seconds(20));
    return found;
  }

  rapidjson::Document Explain() {
    const HttpResponse r = server_->Admin("GET", "/api/v1/devices/" + Uuid() + "/resolution");
    EXPECT_EQ(r.status, 200) << r.body;
    return Json(r);
  }
  // The trace's last step, as plugin + ':' + outcome, and its reason.
  static std::pair<std::string, std::string> LastStep(const rapidjson::Document& explain) {
    if (!explain.IsObject() || !explain.HasMember("trace") || !explain["trace"].IsArray() ||
        explain["trace"].Empty()) {
      ADD_FAILURE() << "no trace";
      return {};
    }
    const rapidjson::Value& step = explain["trace"][explain["trace"].Size() - 1];
    return {String(step, "plugin") + ":" + String(step, "outcome"), String(step, "reason")};
  }
  // The explain endpoints, as "<name>:<health>".
  static std::vector<std::string> Endpoints(const rapidjson::Document& explain) {
    std::vector<std::string> out;
    if (!explain.IsObject() || !explain.HasMember("endpoints") || !explain["endpoints"].IsArray()) {
      ADD_FAILURE() << "no endpoints";
      return out;
    }
    for (const auto& e : explain["endpoints"].GetArray()) {
      out.push_back(String(e, "name") + ":" + String(e, "health"));
    }
    return out;
  }

  // brokers_: A, B, C.
  std::int64_t a_ = 0, b_ = 0, c_ = 0;
};

TEST_P(FailoverE2eTest, StoppedPrimaryFailsOverToItsBackupAndBackAfterHealthyThreshold) {
  ASSERT_TRUE(WaitForEndpoints({"a:healthy", "b:healthy", "c:healthy"})) << server_->Log();
  const Answer before = Fetch();
  EXPECT_EQ(before.broker, UrlA());
  EXPECT_EQ(before.failover, (std::vector<std::string>{UrlB(), UrlC()}));
  EXPECT_EQ(LastStep(Explain()).first, "device:resolved");

  brokers_[0]->Stop();
  const long long stopped = NowMillis();
  const std::optional<Answer> failed_over = FetchUntilHandedOut(UrlB());
  ASSERT_TRUE(failed_over) << "never handed out B\n" << server_->Log();
  EXPECT_LE(failed_over->received_at - stopped, kFailoverBoundMs)
      << "B handed out " << failed_over->received_at - stopped << " ms after A stopped";
  // A is still in the list, behind the healthy endpoints.
  EXPECT_EQ(failed_over->failover, (std::vector<std::string>{UrlC(), UrlA()}));
  EXPECT_NE(failed_over->config_version, before.config_version);
  const rapidjson::Document explain = Explain();
  const auto [step, reason] = LastStep(explain);
  EXPECT_EQ(step, "health:failover");
  EXPECT_NE(reason.find("'a' (id " + Id(a_) + ") unhealthy since"), std::string::npos) << reason;
  EXPECT_NE(reason.find("handing out 'b' (id " + Id(b_) + ")"), std::string::npos) << reason;
  EXPECT_EQ(Endpoints(explain),
            (std::vector<std::string>{"b:healthy", "c:healthy", "a:unhealthy"}));
  EXPECT_EQ(String(explain, "broker"), UrlB());

  brokers_[0]->StartOnSamePorts();
  const long long restarted = NowMillis();
  const std::optional<Answer> failed_back = FetchUntilHandedOut(UrlA());
  ASSERT_TRUE(failed_back) << "never handed out A again\n" << server_->Log();
  EXPECT_LE(failed_back->received_at - restarted, kFailbackBoundMs)
      << "A handed out " << failed_back->received_at - restarted << " ms after it restarted";
  EXPECT_EQ(failed_back->failover, (std::vector<std::string>{UrlB(), UrlC()}));
  // The device is told what it was told before the failover: the same version.
  EXPECT_NE(failed_back->config_version, failed_over->config_version);
  EXPECT_EQ(failed_back->config_version, before.config_version);
  EXPECT_EQ(LastStep(Explain()).first, "device:resolved");

  // A was handed out again only once healthy_threshold probes had succeeded
  // since its last failure: it turned healthy (`since`) on the last of
  // them, and not after the answer that handed it out.
  const rapidjson::Document health =
      Json(server_->Admin("GET", "/api/v1/mqtt/brokers/" + Id(a_) + "/health"));
  ASSERT_EQ(String(health, "state"), "healthy");
  const long long healthy_at = MillisOf(String(health, "since"));
  EXPECT_LE(healthy_at, failed_back->received_at);
  int successes = 0;
  for (const auto& check : health["checks"].GetArray()) {  // newest first
    if (MillisOf(String(check, "checkedAt")) > healthy_at) continue;
    if (!check["ok"].GetBool()) break;
    ++successes;
  }
  EXPECT_EQ(successes, kHealthyThreshold);
  EXPECT_EQ(server_->Log().find(kProbePassword), std::string::npos);
}

TEST_P(FailoverE2eTest, EveryBrokerDownHandsOutTheOriginalOrderAndTheTraceSaysSo) {
  ASSERT_TRUE(WaitForEndpoints({"a:healthy", "b:healthy", "c:healthy"})) << server_->Log();
  const Answer healthy = Fetch();

  // C, last in the list, goes down: the device's answer does not change,
  // nor does its version; explain shows C unhealthy.
  brokers_[2]->Stop();
  ASSERT_TRUE(WaitForEndpoints({"a:healthy", "b:healthy", "c:unhealthy"})) << server_->Log();
  const Answer c_down = Fetch();
  EXPECT_EQ(c_down.broker, UrlA());
  EXPECT_EQ(c_down.failover, healthy.failover);
  EXPECT_EQ(c_down.config_version, healthy.config_version);
  rapidjson::Document explain = Explain();
  EXPECT_EQ(LastStep(explain).first, "device:resolved");

  brokers_[0]->Stop();
  brokers_[1]->Stop();
  ASSERT_TRUE(WaitForEndpoints({"a:unhealthy", "b:unhealthy", "c:unhealthy"})) << server_->Log();
  // Panic: the configured order, A first, and a full list.
  const Answer all_down = Fetch();
  EXPECT_EQ(all_down.broker, UrlA());
  EXPECT_EQ(all_down.failover, (std::vector<std::string>{UrlB(), UrlC()}));
  EXPECT_EQ(all_down.config_version, healthy.config_version);
  explain = Explain();
  const auto [step, reason] = LastStep(explain);
  EXPECT_EQ(step, "health:panic");
  EXPECT_NE(reason.find("every endpoint unhealthy (3)"), std::string::npos) << reason;
  EXPECT_NE(reason.find("original order, 'a' (id " + Id(a_) + ") first"), std::string::npos)
      << reason;
  // B comes back first: it is handed out (A is still down), then A.
  brokers_[1]->StartOnSamePorts();
  const std::optional<Answer> b_back = FetchUntilHandedOut(UrlB());
  ASSERT_TRUE(b_back) << server_->Log();
  EXPECT_EQ(b_back->failover, (std::vector<std::string>{UrlA(), UrlC()}));
  EXPECT_EQ(LastStep(Explain()).first, "health:failover");
}

SWITCHBOARD_BOTH_BACKENDS(FailoverE2eTest);

}  // namespace
}  // namespace switchboard::testing
