// The health monitor inside a real `switchboard serve`, on both backends:
// broker reads carry `health`, GET /api/v1/mqtt/brokers/{id}/health has the
// recent checks, /metrics counts probes and transitions, a broker that
// accepts TCP and never answers is cut off at `timeout`, several instances
// on one PostgreSQL share the probing, and with `health.enabled: false`
// nothing of it exists. Plus the CA bundle facts on broker reads.
#include <gtest/gtest.h>
#include <soci/soci.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <thread>

#include "api_test_support.h"
#include "connack_listener.h"
#include "eventually.h"
#include "test_certificates.h"

namespace switchboard::testing {
namespace {

constexpr char kBrokers[] = "/api/v1/mqtt/brokers";

// The value of one sample line of /metrics (`name{labels} value`); -1 when
// the series is absent.
double Sample(const std::string& metrics, const std::string& series) {
  std::istringstream lines(metrics);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::atof(line.c_str() + series.size() + 1);
  }
  return -1;
}

class HealthApiTest : public testing::DatabaseTest {
 protected:
  std::unique_ptr<SwitchboardProcess> Serve(const std::string& health_yaml) {
    auto options = testing::ServeOptions(url());
    options.extra_yaml = health_yaml;
    return SwitchboardProcess::Start(options);
  }

  static std::int64_t CreateBroker(const SwitchboardProcess& server, const std::string& json) {
    const auto r = server.Admin("POST", kBrokers, json);
    EXPECT_EQ(r.status, 201) << r.body;
    return Int(Json(r), "id");
  }

  static std::string LocalBroker(const std::string& name, int port) {
    return R"({"name":")" + name + R"(","host":"127.0.0.1","port":)" + std::to_string(port) +
           R"(,"username":"svc","password":"SECRET-BROKER-PASSWORD-9c1d"})";
  }

  static rapidjson::Document HealthOf(const SwitchboardProcess& server, std::int64_t id) {
    const auto r =
        server.Admin("GET", std::string(kBrokers) + "/" + std::to_string(id) + "/health");
    EXPECT_EQ(r.status, 200) << r.body;
    return Json(r);
  }

  static std::string StateOf(const SwitchboardProcess& server, std::int64_t id) {
    return String(HealthOf(server, id), "state");
  }

  static std::string Metrics(const SwitchboardProcess& server) {
    return OneShot(server.port(), "GET", "/metrics").body;
  }

  static double Probes(const SwitchboardProcess& server) {
    const std::string text = Metrics(server);
    return Sample(text, R"(switchboard_broker_probes_total{result="ok"})") +
           Sample(text, R"(switchboard_broker_probes_total{result="fail"})");
  }

  long long CountRows(const std::string& table) {
    long long n = -1;
    auto lease = storage().Acquire();
    *lease << "SELECT COUNT(*) FROM " + table, soci::into(n);
    return n;
  }
};

TEST_P(HealthApiTest, BrokerReadsCarryHealthAndTheRouteHasTheChecks) {
  ConnackListener listener(ConnackListener::Mode::kConnack);
  auto server = Serve("health:\n  interval: 300ms\n  timeout: 200ms\n");
  const std::int64_t id = CreateBroker(*server, LocalBroker("up", listener.port()));
  ASSERT_TRUE(
      Eventually([&] { return StateOf(*server, id) == "healthy"; }, std::chrono::seconds(10)))
      << server->Log();

  const auto health = HealthOf(*server, id);
  EXPECT_EQ(MemberNames(health),
            (std::vector<std::string>{"id", "name", "enabled", "state", "since", "lastCheckedAt",
                                      "latencyMs", "lastError", "checkedBy", "checks"}));
  EXPECT_TRUE(health["enabled"].GetBool());
  EXPECT_TRUE(IsNull(health, "lastError"));
  EXPECT_GE(Int(health, "latencyMs"), 0);
  ASSERT_TRUE(health["checks"].IsArray());
  ASSERT_GE(health["checks"].Size(), 1u);
  const auto& check = health["checks"][0];
  EXPECT_EQ(MemberNames(check), (std::vector<std::string>{"checkedAt", "ok", "stage", "latencyMs",
                                                          "error", "checkedBy"}));
  EXPECT_TRUE(check["ok"].GetBool());
  EXPECT_EQ(String(check, "stage"), "mqtt");
  EXPECT_EQ(String(check, "checkedBy"), String(health, "checkedBy"));

  // The broker read carries the same state (from this instance's snapshot).
  const auto broker = Json(server->Admin("GET", std::string(kBrokers) + "/" + std::to_string(id)));
  ASSERT_TRUE(broker.HasMember("health")) << testing::MemberNames(broker).size();
  EXPECT_EQ(
      MemberNames(broker["health"]),
      (std::vector<std::string>{"state", "since", "lastCheckedAt", "latencyMs", "lastError"}));
  EXPECT_EQ(String(broker["health"], "state"), "healthy");
  const auto list = Json(server->Admin("GET", kBrokers));
  EXPECT_EQ(String(list["brokers"][0]["health"], "state"), "healthy");

  ExpectAdminOnly(*server, "GET", std::string(kBrokers) + "/" + std::to_string(id) + "/health");
  ExpectError(server->Admin("GET", std::string(kBrokers) + "/999/health"), 404, "not_found");
  EXPECT_EQ(server->Log().find("SECRET-BROKER-PASSWORD"), std::string::npos);
}

TEST_P(HealthApiTest, TransitionsAreLoggedAndCounted) {
  auto listener = std::make_unique<ConnackListener>(ConnackListener::Mode::kConnack);
  auto server = Serve(
      "health:\n  interval: 300ms\n  timeout: 200ms\n  unhealthy_threshold: 2\n  jitter: 0%\n");
  const std::int64_t id = CreateBroker(*server, LocalBroker("flappy", listener->port()));
  ASSERT_TRUE(
      Eventually([&] { return StateOf(*server, id) == "healthy"; }, std::chrono::seconds(10)));
  std::string metrics = Metrics(*server);
  EXPECT_EQ(Sample(metrics, R"(switchboard_broker_up{broker="flappy"})"), 1);
  EXPECT_EQ(
      Sample(
          metrics,
          R"(switchboard_broker_transitions_total{broker="flappy",from="unknown",to="healthy"})"),
      1);
  EXPECT_GE(Sample(metrics, R"(switchboard_broker_probes_total{result="ok"})"), 1);
  EXPECT_GE(Sample(metrics, R"(switchboard_broker_probe_seconds_count{result="ok"})"), 1);

  listener.reset();  // the port now refuses connections
  ASSERT_TRUE(
      Eventually([&] { return StateOf(*server, id) == "unhealthy"; }, std::chrono::seconds(10)));
  metrics = Metrics(*server);
  EXPECT_EQ(Sample(metrics, R"(switchboard_broker_up{broker="flappy"})"), 0);
  EXPECT_EQ(
      Sample(
          metrics,
          R"(switchboard_broker_transitions_total{broker="flappy",from="healthy",to="unhealthy"})"),
      1);
  // Two failures in a row were needed: the newest two checks failed, and
  // the state changed at the second.
  const auto health = HealthOf(*server, id);
  ASSERT_GE(health["checks"].Size(), 2u);
  EXPECT_FALSE(health["checks"][0]["ok"].GetBool());
  EXPECT_NE(String(health, "lastError").find("tcp"), std::string::npos)
      << String(health, "lastError");

  const std::string log = server->Log();
  EXPECT_NE(log.find("broker 'flappy' (id " + std::to_string(id) + ") unknown -> healthy"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("healthy -> unhealthy after 2 failed probes"), std::string::npos) << log;
  EXPECT_EQ(log.find("SECRET-BROKER-PASSWORD"), std::string::npos);
}

TEST_P(HealthApiTest, ABrokerThatNeverAnswersIsCutOffAtTimeoutAndHoldsNoThread) {
  ConnackListener silent(ConnackListener::Mode::kSilent);
  ConnackListener answering(ConnackListener::Mode::kConnack);
  // One probe thread: if a probe of the silent broker hung, nothing else
  // would ever be probed.
  auto server = Serve("health:\n  interval: 400ms\n  timeout: 250ms\n  concurrency: 1\n");
  const std::int64_t hung = CreateBroker(*server, LocalBroker("hung", silent.port()));
  const std::int64_t fine = CreateBroker(*server, LocalBroker("fine", answering.port()));
  ASSERT_TRUE(
      Eventually([&] { return StateOf(*server, hung) == "unhealthy"; }, std::chrono::seconds(10)))
      << server->Log();
  ASSERT_TRUE(Eventually([&] { return HealthOf(*server, hung)["checks"].Size() >= 4; },
                         std::chrono::seconds(15)));
  EXPECT_EQ(StateOf(*server, fine), "healthy");
  const auto health = HealthOf(*server, hung);
  EXPECT_NE(String(health, "lastError").find("no CONNACK within 250 ms"), std::string::npos)
      << String(health, "lastError");
  for (const auto& check : health["checks"].GetArray()) {
    EXPECT_FALSE(check["ok"].GetBool());
    EXPECT_EQ(String(check, "stage"), "mqtt");
    // Cut off at the timeout (250 ms), not held open by the silent peer.
    EXPECT_LT(Int(check, "latencyMs"), 2000);
  }
  EXPECT_GE(silent.accepted(), 4u);
}

TEST_P(HealthApiTest, DisabledMeansNoProbesNoRowsAndNoHealthOnReads) {
  ConnackListener listener(ConnackListener::Mode::kConnack);
  auto server = Serve("health:\n  enabled: false\n");
  const std::int64_t id = CreateBroker(*server, LocalBroker("quiet", listener.port()));
  const auto broker = Json(server->Admin("GET", std::string(kBrokers) + "/" + std::to_string(id)));
  EXPECT_FALSE(broker.HasMember("health"));
  const auto list = Json(server->Admin("GET", kBrokers));
  EXPECT_FALSE(list["brokers"][0].HasMember("health"));
  const auto health = HealthOf(*server, id);
  EXPECT_FALSE(health["enabled"].GetBool());
  EXPECT_EQ(String(health, "state"), "unknown");
  EXPECT_EQ(health["checks"].Size(), 0u);
  // Give a monitor, were there one, several intervals' worth of time.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(listener.accepted(), 0u);
  EXPECT_EQ(CountRows("broker_health"), 0);
  EXPECT_EQ(CountRows("broker_health_checks"), 0);
  const std::string metrics = Metrics(*server);
  EXPECT_EQ(metrics.find("switchboard_broker_probes_total{"), std::string::npos);
  EXPECT_EQ(metrics.find("switchboard_broker_up{"), std::string::npos);
  EXPECT_EQ(server->Log().find("health: monitoring"), std::string::npos);
}

TEST_P(HealthApiTest, CaBundlesAreParsedOnWriteAndDescribedOnRead) {
  auto server = Serve("health:\n  enabled: false\n");
  const std::string bundle = std::string(testing::kTestCaA) + testing::kTestCaB;
  const std::int64_t id =
      CreateBroker(*server, R"({"name":"tls","host":"127.0.0.1","use_tls":true,"ca_cert":)" +
                                JsonQuoted(bundle) + "}");
  const std::string item = std::string(kBrokers) + "/" + std::to_string(id);
  auto broker = Json(server->Admin("GET", item));
  EXPECT_EQ(Int(broker, "ca_certs"), 2);
  EXPECT_EQ(String(broker, "ca_cert_expires_at"), "2125-06-29T05:48:56.000Z");
  EXPECT_FALSE(broker["ca_cert_expiring_soon"].GetBool());

  // Not PEM, a private key inside, another block: 400 on ca_cert, nothing stored.
  for (const std::string& bad :
       {std::string("not a certificate"), bundle + testing::MakeTestPrivateKeyPem(),
        std::string("-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n")}) {
    const auto r = server->Admin("PUT", item, R"({"ca_cert":)" + JsonQuoted(bad) + "}");
    ExpectError(r, 400, "invalid_request", "ca_cert");
    EXPECT_EQ(r.body.find("BEGIN PRIVATE KEY"), std::string::npos);
    EXPECT_EQ(String(Json(server->Admin("GET", item)), "ca_cert"), bundle);
  }
  ExpectError(
      server->Admin("POST", kBrokers, R"({"name":"bad","host":"h.example","ca_cert":"CA"})"), 400,
      "invalid_request", "ca_cert");
  EXPECT_EQ(Int(Json(server->Admin("GET", kBrokers)), "count"), 1);

  // A CA that expires in 10 days flags the broker, on reads and in the summary.
  const std::string soon = testing::MakeTestCaPem("soon", 10L * 86400);
  ASSERT_EQ(server->Admin("PUT", item, R"({"ca_cert":)" + JsonQuoted(bundle + soon) + "}").status,
            200);
  broker = Json(server->Admin("GET", item));
  EXPECT_EQ(Int(broker, "ca_certs"), 3);
  EXPECT_TRUE(broker["ca_cert_expiring_soon"].GetBool());
  const auto summary = Json(server->Admin("GET", std::string(kBrokers) + "/summary"));
  EXPECT_TRUE(summary["brokers"][0]["ca_cert_expiring_soon"].GetBool());
  EXPECT_EQ(String(summary["brokers"][0], "ca_cert_expires_at"),
            String(broker, "ca_cert_expires_at"));

  // The metric: the earliest notAfter in Unix seconds.
  const double expiry =
      Sample(Metrics(*server), R"(switchboard_broker_ca_expiry_seconds{broker="tls"})");
  const double in_ten_days =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() +
      10 * 86400;
  EXPECT_NEAR(expiry, in_ten_days, 3600);

  // Clearing it clears the facts.
  broker = Json(server->Admin("PUT", item, R"({"ca_cert":null})"));
  EXPECT_EQ(Int(broker, "ca_certs"), 0);
  EXPECT_TRUE(IsNull(broker, "ca_cert_expires_at"));
  EXPECT_FALSE(broker["ca_cert_expiring_soon"].GetBool());
}

// Two instances on one PostgreSQL share the probing through leases: each
// broker is probed about once per interval in total, not once per instance.
TEST_P(HealthApiTest, TwoInstancesProbeEachBrokerOncePerIntervalInTotal) {
  if (backend() != "postgresql") GTEST_SKIP() << "one instance per SQLite database";
  ConnackListener listener(ConnackListener::Mode::kConnack);
  const std::string yaml = "health:\n  interval: 1s\n  timeout: 500ms\n";
  auto first = Serve(yaml);
  auto second = Serve(yaml);
  for (int i = 0; i < 5; ++i) {
    CreateBroker(*first, LocalBroker("b" + std::to_string(i), listener.port()));
  }
  ASSERT_TRUE(
      Eventually([&] { return Probes(*first) + Probes(*second) >= 5; }, std::chrono::seconds(10)));
  const double before = Probes(*first) + Probes(*second);
  const auto answered_before = listener.answered();
  std::this_thread::sleep_for(std::chrono::seconds(10));
  const double first_count = Probes(*first);
  const double second_count = Probes(*second);
  const double probes = first_count + second_count - before;
  // 5 brokers × 10 s / 1 s = 50, each one probed a scheduler tick (100 ms)
  // or less after it is due: about 45 to 50. Tolerance ±20 % (40..60);
  // one instance per broker per interval each would be about 100.
  EXPECT_GE(probes, 40) << "first " << first_count << ", second " << second_count;
  EXPECT_LE(probes, 60) << "first " << first_count << ", second " << second_count;
  // The listener saw the same probes (each is one connection).
  EXPECT_NEAR(static_cast<double>(listener.answered() - answered_before), probes, 5);
  EXPECT_GT(first_count, 0);
  EXPECT_GT(second_count, 0);
}

SWITCHBOARD_BOTH_BACKENDS(HealthApiTest);

}  // namespace
}  // namespace switchboard::testing
