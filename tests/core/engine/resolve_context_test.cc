// The host's contexts: lazy storage access, device-not-found, prepared
// devices inside a caller's transaction.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <soci/soci.h>

#include "resolver_database_test.h"

namespace switchboard {
namespace {

using testing::Outcomes;

class ResolveContextTest : public testing::ResolverDatabaseTest {};

TEST_P(ResolveContextTest, LoadsTheDeviceWithItsNullableColumns) {
  InsertBroker({.id = 9, .name = "b"});
  InsertFleet("f1");
  InsertDevice({.uuid = "full", .fleet = "f1", .region = "eu", .broker = 9});
  InsertDevice({.uuid = "bare"});
  auto lease = storage().Acquire();
  const auto full = LoadDeviceByUuid(*lease, "full");
  ASSERT_TRUE(full);
  EXPECT_GT(full->id, 0);
  EXPECT_EQ(full->uuid, "full");
  EXPECT_EQ(full->device_name, "name");
  EXPECT_EQ(full->device_type, "type");
  EXPECT_EQ(full->fleet_id, "f1");
  EXPECT_EQ(full->region, "eu");
  EXPECT_EQ(full->mqtt_broker_id, 9);
  const auto bare = LoadDeviceByUuid(*lease, "bare");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->fleet_id, "");
  EXPECT_EQ(bare->region, "");
  EXPECT_FALSE(bare->mqtt_broker_id);
  EXPECT_FALSE(LoadDeviceByUuid(*lease, "nobody"));
}

TEST_P(ResolveContextTest, UnknownDeviceIsNotFoundEvenWhenNoStepReadsStorage) {
  setenv("SWITCHBOARD_CONTEXT_TEST_URL", "mqtt://env.example", 1);
  const std::string env_only =
      "    - plugin: env\n      params: {variable: SWITCHBOARD_CONTEXT_TEST_URL}\n";
  EXPECT_THROW(Resolve(env_only, "ghost"), DeviceNotFound);
  InsertDevice({.uuid = "real"});
  const Resolution r = Resolve(env_only, "real");
  unsetenv("SWITCHBOARD_CONTEXT_TEST_URL");
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.broker->host, "env.example");
}

TEST_P(ResolveContextTest, LeaseIsLazyAndReturnedAfterTheResolution) {
  InsertDevice({.uuid = "u1"});
  Storage one_session(url(), 1, std::chrono::milliseconds(200));
  const auto chain = testing::ChainFromYaml("    - plugin: device\n    - plugin: default\n");
  for (int i = 0; i < 3; ++i) {
    const Resolution r = ResolveDevice(*chain, one_session, "u1", log_);
    EXPECT_EQ(Outcomes(r), "device:pass,default:pass");
  }
  // The only session is free again.
  EXPECT_NO_THROW(one_session.Acquire());
  // And while the caller holds it, a resolution that needs storage gets an
  // Error step, not a hang.
  auto held = one_session.Acquire();
  const Resolution busy = ResolveDevice(*chain, one_session, "u1", log_);
  EXPECT_EQ(Outcomes(busy), "device:error,default:error");
  EXPECT_THAT(busy.trace[0].reason, ::testing::HasSubstr("storage busy"));
}

TEST_P(ResolveContextTest, PreparedDeviceResolvesInsideTheCallersTransaction) {
  auto lease = storage().Acquire();
  WriteTransaction transaction(storage(), *lease);
  // Written in the open transaction: visible only through the caller's session.
  *lease << "INSERT INTO mqtt_broker_config (id, name, host, is_default) "
            "VALUES (5, 'tx', 'tx.example', 1)";
  Device device;
  device.uuid = "not-yet-stored";
  const auto chain = testing::ChainFromYaml(
      "    - plugin: device\n    - plugin: scripted\n"
      "      params: {needs_device: true, reason: saw}\n    - plugin: default\n");
  PreparedResolveContext context(device, *lease, log_);
  const Resolution r = chain->Resolve(context);
  ASSERT_TRUE(r.broker) << r.reason;
  EXPECT_EQ(r.broker->host, "tx.example");
  EXPECT_EQ(r.trace.at(1).reason, "saw for not-yet-stored");
  transaction.Rollback();
}

SWITCHBOARD_BOTH_BACKENDS(ResolveContextTest);

}  // namespace
}  // namespace switchboard
