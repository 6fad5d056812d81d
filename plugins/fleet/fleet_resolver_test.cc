// plugin/fleet: the broker of the device's fleet.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "resolver_database_test.h"

namespace switchboard {
namespace {

constexpr char kChain[] = "    - plugin: fleet\n";

class FleetPluginTest : public testing::ResolverDatabaseTest {};

TEST_P(FleetPluginTest, ResolvesTheFleetBroker) {
  InsertBroker({.id = 4, .name = "fleet-broker", .host = "f.example.com", .port = 1884});
  InsertFleet("trucks", 4);
  InsertDevice({.uuid = "u1", .fleet = "trucks"});
  const Resolution r = Resolve(kChain, "u1");
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.resolved_by, "fleet");
  EXPECT_EQ(r.broker->host, "f.example.com");
  EXPECT_EQ(r.broker->port, 1884);
  EXPECT_EQ(r.reason, "fleet 'trucks' broker 'fleet-broker' (id 4)");
}

TEST_P(FleetPluginTest, PassesWithoutFleet) {
  InsertDevice({.uuid = "u1"});
  const Resolution r = Resolve(kChain, "u1");
  EXPECT_FALSE(r.broker);
  EXPECT_EQ(r.trace.at(0).reason, "device belongs to no fleet");
}

TEST_P(FleetPluginTest, PassesWhenTheFleetHasNoBroker) {
  InsertFleet("trucks");
  InsertDevice({.uuid = "u1", .fleet = "trucks"});
  const Resolution r = Resolve(kChain, "u1");
  EXPECT_FALSE(r.broker);
  EXPECT_EQ(r.trace.at(0).outcome, TraceStep::Outcome::kPass);
  EXPECT_EQ(r.trace[0].reason, "fleet 'trucks' has no broker assigned");
}

TEST_P(FleetPluginTest, PassesWhenTheFleetBrokerIsInactive) {
  InsertBroker({.id = 4, .name = "off", .active = false});
  InsertFleet("trucks", 4);
  InsertDevice({.uuid = "u1", .fleet = "trucks"});
  EXPECT_EQ(Resolve(kChain, "u1").trace.at(0).reason,
            "fleet 'trucks' broker 'off' (id 4) is inactive");
}

TEST_P(FleetPluginTest, DeviceAssignmentIsNotItsBusiness) {
  InsertBroker({.id = 1, .name = "pinned"});
  InsertDevice({.uuid = "u1", .broker = 1});
  EXPECT_FALSE(Resolve(kChain, "u1").broker);
}

SWITCHBOARD_BOTH_BACKENDS(FleetPluginTest);

}  // namespace
}  // namespace switchboard
