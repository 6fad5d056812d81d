// The broker/fleet cache (docs/caching.md) as operators see it: two
// `switchboard serve` processes on one database. A change made through
// instance A's API takes effect on A's next resolution and on B within 1 s
// (polled; the design gives B's next resolution too), and explain on B never
// shows the old value.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "switchboard_process.h"
#include "util/crypto.h"

namespace switchboard {
namespace {

using namespace std::chrono_literals;
using testing::Headers;
using testing::HttpResponse;
using testing::OneShot;
using testing::SwitchboardProcess;

constexpr char kPinned[] = "11111111-0000-4000-8000-000000000001";
constexpr char kInFleet[] = "11111111-0000-4000-8000-000000000002";
constexpr char kKey[] = "cache-test-device-key-0123456789";

class CacheConsistencyTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // Several instances share PostgreSQL only: a second `serve` on a SQLite
    // file refuses to start (its lock, docs/storage.md).
    if (backend() != "postgresql") GTEST_SKIP() << "one instance per SQLite database";
    Exec("INSERT INTO mqtt_broker_config (id, name, host) VALUES (1, 'alpha', 'alpha.example')");
    Exec("INSERT INTO mqtt_broker_config (id, name, host) VALUES (2, 'beta', 'beta.example')");
    Exec("INSERT INTO fleets (id, name, mqtt_broker_id) VALUES ('trucks', 'Trucks', 1)");
    const std::string hash = HashDeviceApiKey(kKey);
    Exec(
        "INSERT INTO devices (uuid, device_name, device_type, api_key_hash, mqtt_broker_id) "
        "VALUES ('" +
        std::string(kPinned) + "', 'pinned', 'sensor', '" + hash + "', 1)");
    Exec("INSERT INTO devices (uuid, device_name, device_type, api_key_hash, fleet_id) VALUES ('" +
         std::string(kInFleet) + "', 'in-fleet', 'sensor', '" + hash + "', 'trucks')");
    a_ = SwitchboardProcess::Start(testing::ServeOptions(url()));
    b_ = SwitchboardProcess::Start(testing::ServeOptions(url()));
  }

  static std::string Host(const HttpResponse& r) {
    const std::string key = "\"host\":\"";
    const auto at = r.body.find(key);
    if (r.status != 200 || at == std::string::npos) {
      return "(status " + std::to_string(r.status) + ": " + r.body + ")";
    }
    return r.body.substr(at + key.size(), r.body.find('"', at + key.size()) - at - key.size());
  }
  static std::string Fetch(const SwitchboardProcess& server, const std::string& uuid) {
    return Host(OneShot(server.port(), "GET", "/api/v1/device/" + uuid + "/mqtt",
                        Headers{{"X-Device-API-Key", kKey}}));
  }
  static std::string Explain(const SwitchboardProcess& server, const std::string& uuid) {
    return Host(server.Admin("GET", "/api/v1/devices/" + uuid + "/resolution"));
  }

  // Makes the change through A, then checks A's next fetch and explain on
  // B at once, and polls B's fetch for at most 1 s.
  void ChangeThroughAExpect(const std::string& method, const std::string& target,
                            const std::string& body, const std::string& uuid,
                            const std::string& host) {
    const HttpResponse changed = a_->Admin(method, target, body);
    ASSERT_EQ(changed.status, 200) << target << ": " << changed.body;
    const auto deadline = std::chrono::steady_clock::now() + 1s;
    EXPECT_EQ(Fetch(*a_, uuid), host) << "A's next resolution after " << target;
    EXPECT_EQ(Explain(*b_, uuid), host) << "explain on B after " << target;
    std::string seen = Fetch(*b_, uuid);
    while (seen != host && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
      seen = Fetch(*b_, uuid);
    }
    EXPECT_EQ(seen, host) << "B within 1 s after " << target;
  }

  std::unique_ptr<SwitchboardProcess> a_, b_;
};

TEST_P(CacheConsistencyTest, BrokerFleetAndDeviceChangesReachBothInstances) {
  // Warm both instances' caches.
  ASSERT_EQ(Fetch(*a_, kPinned), "alpha.example") << a_->Log();
  ASSERT_EQ(Fetch(*b_, kPinned), "alpha.example") << b_->Log();
  ASSERT_EQ(Fetch(*b_, kInFleet), "alpha.example");
  ASSERT_EQ(Explain(*b_, kInFleet), "alpha.example");

  ChangeThroughAExpect("PUT", "/api/v1/mqtt/brokers/1", R"({"host":"alpha-moved.example"})",
                       kPinned, "alpha-moved.example");
  EXPECT_EQ(Fetch(*b_, kInFleet), "alpha-moved.example");
  ChangeThroughAExpect("PUT", "/api/v1/fleets/trucks", R"({"mqtt_broker_id":2})", kInFleet,
                       "beta.example");
  ChangeThroughAExpect("PUT", "/api/v1/devices/" + std::string(kPinned), R"({"mqtt_broker_id":2})",
                       kPinned, "beta.example");
  ChangeThroughAExpect("PUT", "/api/v1/mqtt/brokers/2", R"({"host":"beta-moved.example"})",
                       kInFleet, "beta-moved.example");
}

TEST_P(CacheConsistencyTest, ADeactivatedBrokerStopsBeingHandedOutEverywhere) {
  ASSERT_EQ(Fetch(*b_, kInFleet), "alpha.example") << b_->Log();
  // The fleet's broker goes inactive: the chain moves on (no default, no
  // region), so the env step's fallback answers.
  const HttpResponse changed = a_->Admin("PUT", "/api/v1/mqtt/brokers/1", R"({"is_active":false})");
  ASSERT_EQ(changed.status, 200) << changed.body;
  const auto deadline = std::chrono::steady_clock::now() + 1s;
  std::string seen = Fetch(*b_, kInFleet);
  while (seen == "alpha.example" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    seen = Fetch(*b_, kInFleet);
  }
  EXPECT_NE(seen, "alpha.example");
  EXPECT_NE(Explain(*b_, kInFleet), "alpha.example");
}

SWITCHBOARD_BOTH_BACKENDS(CacheConsistencyTest);

}  // namespace
}  // namespace switchboard
