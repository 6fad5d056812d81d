// plugin/default: the active is_default broker.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "resolver_database_test.h"

namespace switchboard {
namespace {

constexpr char kChain[] = "    - plugin: default\n";

class DefaultPluginTest : public testing::ResolverDatabaseTest {};

TEST_P(DefaultPluginTest, ResolvesTheDefaultBroker) {
  InsertBroker({.id = 1, .name = "other"});
  InsertBroker({.id = 2, .name = "main", .host = "main.example.com", .is_default = true});
  InsertDevice({.uuid = "u1"});
  const Resolution r = Resolve(kChain, "u1");
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.resolved_by, "default");
  EXPECT_EQ(r.broker->id, 2);
  EXPECT_EQ(r.broker->host, "main.example.com");
  EXPECT_TRUE(r.broker->is_default);
  EXPECT_EQ(r.reason, "default broker 'main' (id 2)");
}

TEST_P(DefaultPluginTest, PassesWithoutDefault) {
  InsertBroker({.id = 1, .name = "other"});
  InsertDevice({.uuid = "u1"});
  const Resolution r = Resolve(kChain, "u1");
  EXPECT_FALSE(r.broker);
  EXPECT_EQ(r.trace.at(0).outcome, TraceStep::Outcome::kPass);
  EXPECT_EQ(r.trace[0].reason, "no default broker");
}

TEST_P(DefaultPluginTest, PassesWhenTheDefaultIsInactive) {
  InsertBroker({.id = 1, .name = "main", .active = false, .is_default = true});
  InsertDevice({.uuid = "u1"});
  EXPECT_EQ(Resolve(kChain, "u1").trace.at(0).reason, "default broker 'main' (id 1) is inactive");
}

TEST_P(DefaultPluginTest, TheDatabaseAllowsOneDefaultOnly) {
  InsertBroker({.id = 1, .name = "a", .is_default = true});
  EXPECT_ANY_THROW(InsertBroker({.id = 2, .name = "b", .is_default = true}));
}

TEST_P(DefaultPluginTest, UnknownDeviceIsNotFoundEvenThoughDefaultNeedsNoDevice) {
  InsertBroker({.id = 1, .name = "main", .is_default = true});
  EXPECT_THROW(Resolve(kChain, "ghost"), DeviceNotFound);
}

SWITCHBOARD_BOTH_BACKENDS(DefaultPluginTest);

}  // namespace
}  // namespace switchboard
