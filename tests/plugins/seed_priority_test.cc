// The shipped chain reproduces the seed's priority: the device's broker,
// then the default broker, then MQTT_BROKER_URL; storage being down leaves
// the env step answering. And the order lives in the YAML only.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "loopback_listener.h"
#include "resolver_database_test.h"

namespace switchboard {
namespace {

using ::testing::HasSubstr;
using testing::Outcomes;

constexpr char kVariable[] = "SWITCHBOARD_SEED_TEST_URL";

// The shipped order (configs/switchboard.yaml), env reading a test variable.
const std::string kShippedChain = std::string(
                                      "    - plugin: device\n"
                                      "    - plugin: fleet\n"
                                      "    - plugin: regional\n"
                                      "    - plugin: default\n"
                                      "    - plugin: env\n"
                                      "      params: {variable: ") +
                                  kVariable + "}\n";

class SeedPriorityTest : public testing::ResolverDatabaseTest {
 protected:
  void SetUp() override {
    ResolverDatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    setenv(kVariable, "mqtt://env-broker.example:1883", 1);
    InsertBroker({.id = 1, .name = "pinned", .host = "pinned.example"});
    InsertBroker({.id = 2, .name = "main", .host = "default.example", .is_default = true});
    InsertDevice({.uuid = "assigned", .broker = 1});
    InsertDevice({.uuid = "unassigned"});
  }
  void TearDown() override {
    unsetenv(kVariable);
    ResolverDatabaseTest::TearDown();
  }
};

TEST_P(SeedPriorityTest, AssignedDeviceGetsItsBroker) {
  const Resolution r = Resolve(kShippedChain, "assigned");
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.broker->host, "pinned.example");
  EXPECT_EQ(Outcomes(r), "device:resolved");
}

TEST_P(SeedPriorityTest, UnassignedDeviceGetsTheDefault) {
  const Resolution r = Resolve(kShippedChain, "unassigned");
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.broker->host, "default.example");
  EXPECT_EQ(Outcomes(r), "device:pass,fleet:pass,regional:pass,default:resolved");
}

TEST_P(SeedPriorityTest, WithoutDefaultTheEnvBrokerAnswers) {
  Exec("UPDATE mqtt_broker_config SET is_default = 0");
  const Resolution r = Resolve(kShippedChain, "unassigned");
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.broker->host, "env-broker.example");
  EXPECT_FALSE(r.broker->from_storage);
  EXPECT_EQ(Outcomes(r), "device:pass,fleet:pass,regional:pass,default:pass,env:resolved");
}

TEST_P(SeedPriorityTest, NothingAnywhereMeansNoBroker) {
  Exec("UPDATE mqtt_broker_config SET is_default = 0");
  unsetenv(kVariable);
  const Resolution r = Resolve(kShippedChain, "unassigned");
  EXPECT_FALSE(r.broker);
  EXPECT_EQ(r.reason, "no broker: no step of the chain resolved this device");
}

TEST_P(SeedPriorityTest, ReorderingTheYamlChangesTheDecision) {
  const std::string default_first = "    - plugin: default\n    - plugin: device\n";
  const Resolution r = Resolve(default_first, "assigned");
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.broker->host, "default.example");
  EXPECT_EQ(Outcomes(r), "default:resolved");
  EXPECT_EQ(Resolve("    - plugin: device\n    - plugin: default\n", "assigned").broker->host,
            "pinned.example");
}

SWITCHBOARD_BOTH_BACKENDS(SeedPriorityTest);

// No fixture: the "database" hangs up on every connection, and counts them.
TEST(SeedPriorityWithoutStorageTest, StorageStepsAreErrorsAndEnvStillAnswers) {
  setenv(kVariable, "mqtt://env-broker.example:1883", 1);
  testing::LoopbackListener database(testing::LoopbackListener::HangUp());
  Storage storage("postgresql://host=127.0.0.1 port=" + std::to_string(database.port()) +
                      " dbname=x user=x connect_timeout=1 sslmode=disable gssencmode=disable",
                  2, std::chrono::milliseconds(500));
  testing::CapturingLogger log;
  const auto chain = testing::ChainFromYaml(kShippedChain);
  const Resolution r = ResolveDevice(*chain, storage, "any-device", log);
  unsetenv(kVariable);
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.broker->host, "env-broker.example");
  EXPECT_EQ(r.resolved_by, "env");
  EXPECT_EQ(Outcomes(r), "device:error,fleet:error,regional:error,default:error,env:resolved");
  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(r.trace[i].reason, HasSubstr("plugin/" + r.trace[i].plugin + ": "));
    EXPECT_THAT(r.trace[i].reason, HasSubstr("unreachable"));
  }
  // The outage is remembered for the rest of the resolution: one connect
  // attempt, not one per step.
  EXPECT_EQ(database.accepted(), 1);
  EXPECT_EQ(log.lines().size(), 4u);
}

}  // namespace
}  // namespace switchboard
