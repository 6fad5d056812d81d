// plugin/device: the broker pinned in devices.mqtt_broker_id.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "resolver_database_test.h"

namespace switchboard {
namespace {

using ::testing::HasSubstr;
constexpr char kChain[] = "    - plugin: device\n";

class DevicePluginTest : public testing::ResolverDatabaseTest {};

TEST_P(DevicePluginTest, ResolvesTheAssignedBrokerWithItsFullConfig) {
  Exec(
      "INSERT INTO mqtt_broker_config (id, name, protocol, host, port, use_tls, ca_cert, "
      "client_id_prefix, keep_alive, password, client_key) VALUES (7, 'eu-1', 'mqtts', "
      "'eu1.example.com', 8883, 1, 'CA PEM', 'dev-', 30, 'secret', 'KEY PEM')");
  InsertDevice({.uuid = "u1", .broker = 7});
  const Resolution r = Resolve(kChain, "u1");
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.resolved_by, "device");
  EXPECT_EQ(r.reason, "assigned broker 'eu-1' (id 7)");
  EXPECT_EQ(r.broker->id, 7);
  EXPECT_EQ(r.broker->protocol, "mqtts");
  EXPECT_EQ(r.broker->host, "eu1.example.com");
  EXPECT_EQ(r.broker->port, 8883);
  EXPECT_TRUE(r.broker->use_tls);
  EXPECT_EQ(r.broker->ca_cert, "CA PEM");
  EXPECT_EQ(r.broker->client_id_prefix, "dev-");
  EXPECT_EQ(r.broker->keep_alive, 30);
  EXPECT_TRUE(r.broker->from_storage);
}

TEST_P(DevicePluginTest, PassesWhenNoBrokerIsAssigned) {
  InsertDevice({.uuid = "u1"});
  const Resolution r = Resolve(kChain, "u1");
  EXPECT_FALSE(r.broker);
  ASSERT_EQ(r.trace.size(), 1u);
  EXPECT_EQ(r.trace[0].outcome, TraceStep::Outcome::kPass);
  EXPECT_EQ(r.trace[0].reason, "device has no broker assigned");
}

TEST_P(DevicePluginTest, PassesWithAReasonWhenTheAssignedBrokerIsInactive) {
  InsertBroker({.id = 3, .name = "old", .active = false});
  InsertDevice({.uuid = "u1", .broker = 3});
  const Resolution r = Resolve(kChain, "u1");
  EXPECT_FALSE(r.broker);
  EXPECT_EQ(r.trace.at(0).outcome, TraceStep::Outcome::kPass);
  EXPECT_EQ(r.trace[0].reason, "assigned broker 'old' (id 3) is inactive");
}

TEST_P(DevicePluginTest, UnknownDeviceIsNotFound) {
  EXPECT_THROW(Resolve(kChain, "ghost"), DeviceNotFound);
}

TEST_P(DevicePluginTest, NeverRejects) {
  InsertBroker({.id = 3, .name = "b"});
  InsertDevice({.uuid = "a", .broker = 3});
  InsertDevice({.uuid = "b"});
  for (const char* uuid : {"a", "b"}) EXPECT_FALSE(Resolve(kChain, uuid).rejected);
}

TEST_P(DevicePluginTest, TakesNoParams) {
  EXPECT_THAT(testing::ChainError("    - plugin: device\n      params: {strict: true}\n"),
              HasSubstr("test.yaml:5:16: plugin/device: unknown key 'strict' (this plugin takes "
                        "no params)"));
}

SWITCHBOARD_BOTH_BACKENDS(DevicePluginTest);

}  // namespace
}  // namespace switchboard
