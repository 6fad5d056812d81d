// A provisioning key's max_devices holds under concurrent registrations over
// real HTTP (16 keep-alive connections), and the database stays consistent,
// on both backends.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "device_api_test_support.h"

namespace switchboard {
namespace {

using testing::DeviceApiTest;
using testing::HttpConnection;
using testing::HttpResponse;
using testing::JsonHeaders;
using testing::NewUuid;
using testing::ParseJson;
using testing::RegistrationBody;
using testing::ServeOptions;
using testing::SwitchboardProcess;

class ConcurrencyTest : public DeviceApiTest {};

TEST_P(ConcurrencyTest, FourHundredRegistrationsAgainstAKeyOfOneHundred) {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 25;  // 400 in all
  constexpr int kMaxDevices = 100;
  AddBroker("primary", {{"is_default", "1"}});
  const std::string key = AddKey("fleet-a", kMaxDevices);
  auto options = ServeOptions(url());
  options.threads = 4;
  auto server = SwitchboardProcess::Start(options);

  std::atomic<int> ok{0}, forbidden{0}, other{0};
  std::mutex mutex;
  std::set<long long> ids;
  std::vector<std::string> unexpected;
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      try {
        auto connection = HttpConnection::Connect(server->port());
        while (!go.load()) std::this_thread::yield();
        for (int i = 0; i < kPerThread; ++i) {
          // No Connection header: the connection must stay open throughout.
          const HttpResponse r = connection->Request("POST", "/api/v1/device/register",
                                                     JsonHeaders(key), RegistrationBody(NewUuid()));
          if (r.status == 200) {
            ++ok;
            const rapidjson::Document body = ParseJson(r.body);
            std::lock_guard<std::mutex> lock(mutex);
            ids.insert(body["id"].GetInt64());
          } else if (r.status == 403) {
            ++forbidden;
          } else {
            ++other;
            std::lock_guard<std::mutex> lock(mutex);
            unexpected.push_back(std::to_string(r.status) + " " + r.body);
          }
        }
      } catch (const std::exception& e) {
        ++other;
        std::lock_guard<std::mutex> lock(mutex);
        unexpected.push_back(e.what());
      }
    });
  }
  go = true;
  for (auto& thread : threads) thread.join();

  EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " unexpected, first: "
                                  << (unexpected.empty() ? "" : unexpected.front());
  EXPECT_EQ(ok.load(), kMaxDevices);
  EXPECT_EQ(forbidden.load(), kThreads * kPerThread - kMaxDevices);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kMaxDevices));

  // The database: the counter at the limit, and each device with exactly
  // its user and its ACL row, nothing else.
  EXPECT_EQ(KeyCounter(key), kMaxDevices);
  EXPECT_EQ(Rows(), (RowCounts{kMaxDevices, kMaxDevices, kMaxDevices}));
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM devices d JOIN mqtt_users u ON u.device_id = d.id "
                     "AND u.username = 'device_' || d.uuid JOIN mqtt_acls a ON a.username = "
                     "u.username AND a.topic = 'iot/device/' || d.uuid || '/#' AND a.access = "
                     "'readwrite'"),
            kMaxDevices);
  EXPECT_EQ(Count("devices", "fleet_id <> 'fleet-a' OR provisioned_by_key_id IS NULL"), 0);
  EXPECT_EQ(server->Stop(SIGTERM), 0) << server->Log();
}

// One uuid registered at once from 16 connections: with one deviceApiKey
// every request is the same registration (200, one device, counted once);
// with 16 different keys exactly one wins and the others get 409.
TEST_P(ConcurrencyTest, OneUuidFromSixteenConnectionsAtOnce) {
  constexpr int kThreads = 16;
  AddBroker("primary", {{"is_default", "1"}});
  const std::string key = AddKey("fleet-a");
  auto options = ServeOptions(url());
  options.threads = 4;
  auto server = SwitchboardProcess::Start(options);

  for (const bool same_api_key : {true, false}) {
    SCOPED_TRACE(same_api_key ? "same deviceApiKey" : "different deviceApiKeys");
    const std::string uuid = NewUuid();
    std::vector<HttpResponse> responses(kThreads);
    std::vector<std::unique_ptr<HttpConnection>> connections;
    for (int t = 0; t < kThreads; ++t)
      connections.push_back(HttpConnection::Connect(server->port()));
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        const std::string api_key =
            same_api_key ? testing::kDeviceApiKey : "device-api-key-of-thread-" + std::to_string(t);
        while (!go.load()) std::this_thread::yield();
        try {
          responses[t] =
              connections[t]->Request("POST", "/api/v1/device/register", JsonHeaders(key),
                                      RegistrationBody(uuid, "sensor", api_key));
        } catch (const std::exception& e) {
          responses[t].body = e.what();
        }
      });
    }
    go = true;
    for (auto& thread : threads) thread.join();
    int ok = 0, conflict = 0;
    std::set<long long> ids;
    for (const HttpResponse& r : responses) {
      if (r.status == 200) {
        ++ok;
        ids.insert(ParseJson(r.body)["id"].GetInt64());
      } else if (r.status == 409) {
        ++conflict;
      } else {
        ADD_FAILURE() << r.status << " " << r.body;
      }
    }
    EXPECT_EQ(ok, same_api_key ? kThreads : 1);
    EXPECT_EQ(conflict, same_api_key ? 0 : kThreads - 1);
    EXPECT_EQ(ids.size(), 1u);
    EXPECT_EQ(Count("devices", "uuid = '" + uuid + "'"), 1);
    EXPECT_EQ(Count("mqtt_users", "username = 'device_" + uuid + "'"), 1);
    EXPECT_EQ(Count("mqtt_acls", "username = 'device_" + uuid + "'"), 1);
  }
  EXPECT_EQ(KeyCounter(key), 2);
}

SWITCHBOARD_BOTH_BACKENDS(ConcurrencyTest);

}  // namespace
}  // namespace switchboard
