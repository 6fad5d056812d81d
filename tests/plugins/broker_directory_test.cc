// The built-in plugins read brokers and fleets through the context's
// BrokerDirectory (switchboard/broker_directory.h) and nothing else: given
// a context whose directory is an in-memory map and whose sql() throws,
// device, fleet, regional and default decide from the map alone. This is
// also how a plugin author unit-tests a resolver without a database
// (docs/plugins.md).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine_testing.h"

namespace switchboard {
namespace {

using testing::ChainFromYaml;
using testing::MapContext;
using testing::Outcomes;
using testing::StoredBroker;

constexpr char kChain[] =
    "    - plugin: device\n"
    "    - plugin: fleet\n"
    "    - plugin: regional\n"
    "    - plugin: default\n";

TEST(BrokerDirectoryTest, BuiltInPluginsDecideFromTheContextsDirectoryAlone) {
  const auto chain = ChainFromYaml(kChain);
  MapContext context;
  context.directory_.brokers = {{1, StoredBroker(1, "pinned")},
                                {2, StoredBroker(2, "fleet")},
                                {3, StoredBroker(3, "regional")},
                                {4, StoredBroker(4, "default")}};
  context.directory_.brokers[3].region = "eu";
  context.directory_.brokers[4].is_default = true;
  context.directory_.fleets["trucks"] = FleetRow{"trucks", 2};

  context.device_.mqtt_broker_id = 1;
  Resolution r = chain->Resolve(context);
  EXPECT_EQ(Outcomes(r), "device:resolved");
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.broker->host, "pinned.example.com");

  context.device_.mqtt_broker_id.reset();
  context.device_.fleet_id = "trucks";
  r = chain->Resolve(context);
  EXPECT_EQ(Outcomes(r), "device:pass,fleet:resolved");
  EXPECT_EQ(r.reason, "fleet 'trucks' broker 'fleet' (id 2)");

  context.device_.fleet_id.clear();
  context.device_.region = "eu";
  r = chain->Resolve(context);
  EXPECT_EQ(Outcomes(r), "device:pass,fleet:pass,regional:resolved");
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.broker->id, 3);

  context.device_.region.clear();
  r = chain->Resolve(context);
  EXPECT_EQ(Outcomes(r), "device:pass,fleet:pass,regional:pass,default:resolved");
  EXPECT_EQ(r.reason, "default broker 'default' (id 4)");
  EXPECT_GT(context.directory_.reads, 0);
}

TEST(BrokerDirectoryTest, InactiveBrokersPassWithTheSameReasonEverywhere) {
  const auto chain = ChainFromYaml(kChain);
  MapContext context;
  context.directory_.brokers = {{1, StoredBroker(1, "off")}};
  context.directory_.brokers[1].is_active = false;
  context.directory_.brokers[1].is_default = true;
  context.directory_.fleets["trucks"] = FleetRow{"trucks", 1};
  context.device_.mqtt_broker_id = 1;
  context.device_.fleet_id = "trucks";
  const Resolution r = chain->Resolve(context);
  EXPECT_FALSE(r.broker);
  ASSERT_EQ(r.trace.size(), 4u);
  EXPECT_EQ(r.trace[0].reason, "assigned broker 'off' (id 1) is inactive");
  EXPECT_EQ(r.trace[1].reason, "fleet 'trucks' broker 'off' (id 1) is inactive");
  EXPECT_EQ(r.trace[3].reason, "default broker 'off' (id 1) is inactive");
}

TEST(BrokerDirectoryTest, ADirectoryThatThrowsIsAnErrorStep) {
  // The FakeContext's own directory has no storage behind it.
  const auto chain = ChainFromYaml("    - plugin: default\n");
  testing::FakeContext context;
  const Resolution r = chain->Resolve(context);
  ASSERT_EQ(r.trace.size(), 1u);
  EXPECT_EQ(r.trace[0].outcome, TraceStep::Outcome::kError);
  EXPECT_THAT(r.trace[0].reason, ::testing::HasSubstr("plugin/default: no storage in this test"));
}

}  // namespace
}  // namespace switchboard
