// The broker/fleet snapshot (config_snapshot.h) and the prepared-statement
// cache (session_cache.h), on both backends: the triggers bump
// config_version, a resolution never sees a broker or fleet older than the
// database holds when it runs, and the snapshot is actually reused.
#include <gtest/gtest.h>
#include <soci/soci.h>

#include "resolver_database_test.h"
#include "storage/broker_rows.h"
#include "storage/config_snapshot.h"
#include "storage/session_cache.h"

namespace switchboard {
namespace {

using testing::BrokerSeed;
using testing::DeviceSeed;

constexpr char kChain[] =
    "    - plugin: device\n"
    "    - plugin: fleet\n"
    "    - plugin: regional\n"
    "    - plugin: default\n";

class ConfigSnapshotTest : public testing::ResolverDatabaseTest {
 protected:
  std::int64_t Version() {
    auto lease = storage().Acquire();
    return ReadConfigVersion(*lease);
  }

  std::string ResolvedHost(const std::string& uuid) {
    const Resolution r = Resolve(kChain, uuid);
    return r.broker ? r.broker->host : "(none: " + r.reason + ")";
  }
};

TEST_P(ConfigSnapshotTest, EveryBrokerAndFleetWriteBumpsTheVersion) {
  std::int64_t v = Version();
  auto bumped = [&](const std::string& statement) {
    Exec(statement);
    const std::int64_t now = Version();
    const bool moved = now > v;
    v = now;
    return moved;
  };
  EXPECT_TRUE(
      bumped("INSERT INTO mqtt_broker_config (id, name, host) VALUES (1, 'a', 'a.example')"));
  EXPECT_TRUE(bumped("UPDATE mqtt_broker_config SET host = 'b.example' WHERE id = 1"));
  EXPECT_TRUE(bumped("INSERT INTO fleets (id, name, mqtt_broker_id) VALUES ('f', 'f', 1)"));
  EXPECT_TRUE(bumped("UPDATE fleets SET mqtt_broker_id = NULL WHERE id = 'f'"));
  EXPECT_TRUE(bumped("DELETE FROM fleets WHERE id = 'f'"));
  EXPECT_TRUE(bumped("DELETE FROM mqtt_broker_config WHERE id = 1"));
  // Devices are never cached: their writes leave the counter alone.
  InsertDevice({.uuid = "d1"});
  EXPECT_EQ(Version(), v);
}

TEST_P(ConfigSnapshotTest, ResolutionsSeeEveryCommittedChangeAtOnce) {
  InsertBroker({.id = 1, .name = "one", .host = "one.example"});
  InsertBroker({.id = 2, .name = "two", .host = "two.example", .region = "eu"});
  InsertBroker({.id = 3, .name = "three", .host = "three.example", .is_default = true});
  InsertFleet("trucks", 1);
  InsertDevice({.uuid = "pinned", .broker = 1});
  InsertDevice({.uuid = "fleet", .fleet = "trucks"});
  InsertDevice({.uuid = "regional", .region = "eu"});
  InsertDevice({.uuid = "plain"});

  EXPECT_EQ(ResolvedHost("pinned"), "one.example");
  EXPECT_EQ(ResolvedHost("fleet"), "one.example");
  EXPECT_EQ(ResolvedHost("regional"), "two.example");
  EXPECT_EQ(ResolvedHost("plain"), "three.example");

  // Each change is written on another session, then the very next
  // resolution must see it (no waiting, no polling).
  Exec("UPDATE mqtt_broker_config SET host = 'one-moved.example' WHERE id = 1");
  EXPECT_EQ(ResolvedHost("pinned"), "one-moved.example");
  EXPECT_EQ(ResolvedHost("fleet"), "one-moved.example");
  Exec("UPDATE fleets SET mqtt_broker_id = 2 WHERE id = 'trucks'");
  EXPECT_EQ(ResolvedHost("fleet"), "two.example");
  Exec("UPDATE mqtt_broker_config SET is_active = 0 WHERE id = 2");
  EXPECT_EQ(ResolvedHost("regional"), "three.example");  // region empty → default
  Exec("UPDATE mqtt_broker_config SET is_default = 0 WHERE id = 3");
  Exec("UPDATE mqtt_broker_config SET is_default = 1 WHERE id = 1");
  EXPECT_EQ(ResolvedHost("plain"), "one-moved.example");
  Exec(
      "INSERT INTO mqtt_broker_config (id, name, host, region) VALUES (4, 'four', "
      "'four.example', 'eu')");
  EXPECT_EQ(ResolvedHost("regional"), "four.example");
  // A device's own row is read by every resolution.
  Exec("UPDATE devices SET mqtt_broker_id = 4 WHERE uuid = 'plain'");
  EXPECT_EQ(ResolvedHost("plain"), "four.example");
}

TEST_P(ConfigSnapshotTest, OneSnapshotServesResolutionsUntilSomethingChanges) {
  InsertBroker({.id = 1, .name = "one", .host = "one.example"});
  InsertFleet("trucks", 1);
  InsertDevice({.uuid = "d", .fleet = "trucks"});
  ASSERT_EQ(ResolvedHost("d"), "one.example");
  const std::int64_t loads = storage().config_snapshots().loads();
  for (int i = 0; i < 20; ++i) ASSERT_EQ(ResolvedHost("d"), "one.example");
  EXPECT_EQ(storage().config_snapshots().loads(), loads);
  Exec("UPDATE mqtt_broker_config SET port = 1884 WHERE id = 1");
  const Resolution r = Resolve(kChain, "d");
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.broker->port, 1884);
  EXPECT_EQ(storage().config_snapshots().loads(), loads + 1);
}

TEST_P(ConfigSnapshotTest, ReadsOutsideAResolutionRunTheirSelect) {
  InsertBroker({.id = 1, .name = "one", .host = "one.example", .is_default = true});
  auto lease = storage().Acquire();
  EXPECT_EQ(LoadBrokerById(*lease, 1)->host, "one.example");
  Exec("UPDATE mqtt_broker_config SET host = 'moved.example' WHERE id = 1");
  // Same session, prepared statement reused: fresh rows.
  EXPECT_EQ(LoadBrokerById(*lease, 1)->host, "moved.example");
  EXPECT_EQ(LoadDefaultBroker(*lease)->host, "moved.example");
  EXPECT_FALSE(LoadBrokerById(*lease, 2));
  EXPECT_FALSE(LoadFleet(*lease, "nope"));
  InsertFleet("trucks", 1);
  const auto fleet = LoadFleet(*lease, "trucks");
  ASSERT_TRUE(fleet);
  EXPECT_EQ(fleet->mqtt_broker_id, 1);
}

TEST_P(ConfigSnapshotTest, APooledSessionLeavesNoReadTransactionOpen) {
  // A cached statement left on its row would pin the session's snapshot:
  // the next read on the same session would miss a later commit.
  InsertBroker({.id = 1, .name = "one", .host = "one.example"});
  InsertDevice({.uuid = "d", .broker = 1});
  Storage small(url(), 1, std::chrono::milliseconds(5000));
  const auto chain = testing::ChainFromYaml(kChain);
  testing::CapturingLogger log;
  ASSERT_EQ(ResolveDevice(*chain, small, "d", log).broker->host, "one.example");
  {
    auto lease = small.Acquire();
    ASSERT_EQ(LoadDeviceByUuid(*lease, "d")->mqtt_broker_id, 1);
  }
  Exec("UPDATE devices SET device_name = 'renamed' WHERE uuid = 'd'");
  Exec("UPDATE mqtt_broker_config SET host = 'two.example' WHERE id = 1");
  auto lease = small.Acquire();
  EXPECT_EQ(LoadDeviceByUuid(*lease, "d")->device_name, "renamed");
  EXPECT_EQ(LoadBrokerById(*lease, 1)->host, "two.example");
}

TEST_P(ConfigSnapshotTest, ResolutionInsideATransactionNeverPublishesWhatItSees) {
  InsertBroker({.id = 1, .name = "one", .host = "one.example"});
  InsertDevice({.uuid = "d", .broker = 1});
  const auto chain = testing::ChainFromYaml(kChain);
  {
    auto lease = storage().Acquire();
    WriteTransaction tx(storage(), *lease);
    *lease << "UPDATE mqtt_broker_config SET host = 'uncommitted.example' WHERE id = 1";
    const auto device = LoadDeviceByUuid(*lease, "d");
    ASSERT_TRUE(device);
    // Inside: its own write. Then rolled back.
    PreparedResolveContext context(*device, *lease, log_);
    EXPECT_EQ(chain->Resolve(context).broker->host, "uncommitted.example");
    tx.Rollback();
  }
  EXPECT_EQ(ResolvedHost("d"), "one.example");
}

TEST_P(ConfigSnapshotTest, EachContextReadsTheVersionItselfUnlessItsHostHandsItOne) {
  // The per-resolution state lives in the context's directory: a new
  // context starts afresh, and a version the host noted (read with the
  // device, on this session) saves the directory its own read.
  InsertBroker({.id = 1, .name = "one", .host = "one.example"});
  Device device;
  device.uuid = "d";
  auto lease = storage().Acquire();
  auto other = storage().Acquire();
  const std::int64_t before = ReadConfigVersion(*lease);
  {
    PreparedResolveContext context(device, *lease, log_);
    ASSERT_EQ(context.brokers().ById(1)->host, "one.example");
  }
  Exec("UPDATE mqtt_broker_config SET host = 'two.example' WHERE id = 1");
  {
    // As if the host had read `before` with the device during this
    // resolution: the snapshot at that version serves.
    PreparedResolveContext context(device, *lease, log_);
    context.brokers().NoteConfigVersion(*lease, before);
    EXPECT_EQ(context.brokers().ById(1)->host, "one.example");
  }
  {
    PreparedResolveContext context(device, *lease, log_);
    EXPECT_EQ(context.brokers().ById(1)->host, "two.example");
  }
  {
    // A version read on another session does not count for this one.
    PreparedResolveContext context(device, *lease, log_);
    context.brokers().NoteConfigVersion(*other, before);
    EXPECT_EQ(context.brokers().ById(1)->host, "two.example");
  }
}

SWITCHBOARD_BOTH_BACKENDS(ConfigSnapshotTest);

}  // namespace
}  // namespace switchboard
