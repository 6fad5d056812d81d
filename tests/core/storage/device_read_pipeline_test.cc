// DeviceReadPipeline (core/src/device_read_pipeline.h): the config fetch's
// batched device lookup on PostgreSQL. SQLite has none.
#include "storage/device_read_pipeline.h"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "storage/config_snapshot.h"
#include "storage/storage.h"
#include "test_database.h"

namespace switchboard {
namespace {

using testing::DatabaseTest;

class DeviceReadPipelineTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    Exec("INSERT INTO mqtt_broker_config (id, name, host) VALUES (7, 'b', 'b.example')");
    Exec("INSERT INTO fleets (id, name) VALUES ('trucks', 'Trucks')");
  }

  // Device n: uuid "dev-n", key hash "hash-n"; odd devices have a fleet,
  // region and broker, even ones none.
  void InsertDevices(int count) {
    Storage::Lease lease = storage().Acquire();
    soci::transaction tx(*lease);
    for (int n = 0; n < count; ++n) {
      const std::string id = std::to_string(n);
      if (n % 2 == 1) {
        *lease << "INSERT INTO devices (uuid, device_name, device_type, api_key_hash, fleet_id, "
                  "region, mqtt_broker_id) VALUES ('dev-" +
                      id + "', 'name " + id + "', 'sensor', 'hash-" + id + "', 'trucks', 'eu', 7)";
      } else {
        *lease << "INSERT INTO devices (uuid, device_name, device_type, api_key_hash) VALUES "
                  "('dev-" +
                      id + "', 'name " + id + "', 'gateway', 'hash-" + id + "')";
      }
    }
    tx.commit();
  }

  DeviceReadPipeline* pipeline() {
    DeviceReadPipeline* reads = storage().device_reads();
    if (reads == nullptr) throw std::logic_error("no DeviceReadPipeline on PostgreSQL");
    return reads;
  }
};

class DeviceReadPipelineBackendsTest : public DatabaseTest {};

TEST_P(DeviceReadPipelineBackendsTest, OnlyPostgresqlHasOne) {
  EXPECT_EQ(storage().device_reads() != nullptr, backend() == "postgresql");
  Storage off(url(), 1, std::chrono::milliseconds(1000), 0);
  EXPECT_EQ(off.device_reads(), nullptr);
}

TEST_P(DeviceReadPipelineTest, ReadsTheRowTheFetchNeeds) {
  InsertDevices(2);
  std::int64_t version = 0;
  {
    Storage::Lease lease = storage().Acquire();
    version = ReadConfigVersion(*lease);
  }
  const auto plain = pipeline()->Find("dev-0");
  ASSERT_TRUE(plain);
  EXPECT_GT(plain->device.id, 0);
  EXPECT_EQ(plain->device.uuid, "dev-0");
  EXPECT_EQ(plain->device.device_name, "name 0");
  EXPECT_EQ(plain->device.device_type, "gateway");
  EXPECT_EQ(plain->device.fleet_id, "");
  EXPECT_EQ(plain->device.region, "");
  EXPECT_FALSE(plain->device.mqtt_broker_id);
  EXPECT_EQ(plain->api_key_hash, "hash-0");
  EXPECT_EQ(plain->config_version, version);

  const auto pinned = pipeline()->Find("dev-1");
  ASSERT_TRUE(pinned);
  EXPECT_EQ(pinned->device.fleet_id, "trucks");
  EXPECT_EQ(pinned->device.region, "eu");
  EXPECT_EQ(pinned->device.mqtt_broker_id, 7);

  EXPECT_FALSE(pipeline()->Find("dev-99"));
  EXPECT_FALSE(pipeline()->Find("DEV-0"));  // exact match: callers pass lowercase
  EXPECT_FALSE(pipeline()->Find("it's \"odd\"; DROP TABLE devices"));
}

TEST_P(DeviceReadPipelineTest, SeesEveryCommittedChangeAtOnce) {
  InsertDevices(1);
  ASSERT_FALSE(pipeline()->Find("dev-0")->device.mqtt_broker_id);
  Exec("UPDATE devices SET mqtt_broker_id = 7 WHERE uuid = 'dev-0'");
  EXPECT_EQ(pipeline()->Find("dev-0")->device.mqtt_broker_id, 7);
  Exec("UPDATE mqtt_broker_config SET port = 1884 WHERE id = 7");  // bumps config_version
  Storage::Lease lease = storage().Acquire();
  EXPECT_EQ(pipeline()->Find("dev-0")->config_version, ReadConfigVersion(*lease));
  Exec("DELETE FROM devices WHERE uuid = 'dev-0'");
  EXPECT_FALSE(pipeline()->Find("dev-0"));
}

// Many callers at once: every one gets its own device's row, and lookups
// that arrive while a batch is in flight share the next one.
TEST_P(DeviceReadPipelineTest, ConcurrentLookupsShareBatchesAndGetTheirOwnRows) {
  constexpr int kDevices = 64;
  constexpr int kThreads = 16;
  constexpr int kLookupsPerThread = 200;
  InsertDevices(kDevices);
  const DeviceReadPipeline::Counts before = pipeline()->CountsForTest();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kLookupsPerThread; ++i) {
        const int n = (t * 31 + i * 7) % (kDevices + 1);  // kDevices: unknown
        const auto row = pipeline()->Find("dev-" + std::to_string(n));
        const bool right = n == kDevices ? !row
                                         : row && row->device.uuid == "dev-" + std::to_string(n) &&
                                               row->api_key_hash == "hash-" + std::to_string(n);
        if (!right) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  const DeviceReadPipeline::Counts after = pipeline()->CountsForTest();
  EXPECT_EQ(after.lookups - before.lookups, kThreads * kLookupsPerThread);
  EXPECT_LT(after.batches - before.batches, after.lookups - before.lookups);
}

TEST_P(DeviceReadPipelineTest, ReconnectsWhenTheServerDroppedTheConnection) {
  InsertDevices(1);
  ASSERT_TRUE(pipeline()->Find("dev-0"));
  long long terminated = 0;
  {
    Storage::Lease lease = storage().Acquire();
    *lease << "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
              "WHERE application_name = 'switchboard-fetch-pipeline' AND datname = "
              "current_database()",
        soci::into(terminated);
  }
  ASSERT_GE(terminated, 1);
  // The dead connection is found, reopened and the lookup sent again.
  const auto row = pipeline()->Find("dev-0");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->api_key_hash, "hash-0");
}

TEST_P(DeviceReadPipelineTest, UnreachableDatabaseIsStorageUnavailableWithoutSecrets) {
  // Port 1 on 127.0.0.1: nothing listens there.
  DeviceReadPipeline dead(
      "host=127.0.0.1 port=1 dbname=x user=x password=hunter2-secret "
      "connect_timeout=5",
      "postgresql://host=127.0.0.1 port=1 password=***", 1);
  for (int attempt = 0; attempt < 2; ++attempt) {  // and again: no state left behind
    try {
      dead.Find("dev-0");
      FAIL() << "expected StorageUnavailable";
    } catch (const StorageUnavailable& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("database unreachable"), std::string::npos) << what;
      EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
    }
  }
}

TEST_P(DeviceReadPipelineTest, UnmigratedDatabaseSaysSo) {
  Exec("DROP TABLE mqtt_acls, mqtt_users, devices CASCADE");
  Storage fresh(url(), 1, std::chrono::milliseconds(1000));
  try {
    fresh.device_reads()->Find("dev-0");
    FAIL() << "expected StorageUnavailable";
  } catch (const StorageUnavailable& e) {
    EXPECT_NE(std::string(e.what()).find("migrated"), std::string::npos) << e.what();
  }
}

SWITCHBOARD_BOTH_BACKENDS(DeviceReadPipelineBackendsTest);
// The rest is PostgreSQL only (skipped with the others when no PostgreSQL
// server is configured).
INSTANTIATE_TEST_SUITE_P(Backends, DeviceReadPipelineTest, ::testing::Values("postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace switchboard
