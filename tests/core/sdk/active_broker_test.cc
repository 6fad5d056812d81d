// ActiveBrokerOrPass (switchboard/resolver.h): the one "active broker, or
// Pass with the reason" the device, fleet and default plugins share.
#include <gtest/gtest.h>

#include "switchboard/resolver.h"

namespace switchboard {
namespace {

BrokerConfig Broker(std::int64_t id, const std::string& name, bool active) {
  BrokerConfig broker;
  broker.id = id;
  broker.name = name;
  broker.host = name + ".example.com";
  broker.is_active = active;
  broker.from_storage = true;
  return broker;
}

TEST(ActiveBrokerOrPassTest, ResolvesAnActiveBrokerNamingItInTheReason) {
  const Decision d = ActiveBrokerOrPass(Broker(7, "eu-1", true), "assigned broker");
  EXPECT_EQ(d.outcome, Decision::Outcome::kResolved);
  EXPECT_EQ(d.reason, "assigned broker 'eu-1' (id 7)");
  ASSERT_TRUE(d.broker);
  EXPECT_EQ(d.broker->id, 7);
  EXPECT_EQ(d.broker->host, "eu-1.example.com");
  EXPECT_TRUE(d.broker->from_storage);
}

TEST(ActiveBrokerOrPassTest, PassesOnAnInactiveBrokerAndHandsNothingOut) {
  const Decision d = ActiveBrokerOrPass(Broker(3, "old", false), "fleet 'trucks' broker");
  EXPECT_EQ(d.outcome, Decision::Outcome::kPass);
  EXPECT_EQ(d.reason, "fleet 'trucks' broker 'old' (id 3) is inactive");
  EXPECT_FALSE(d.broker);
}

TEST(ActiveBrokerOrPassTest, ABrokerWithoutIdIsNamedAlone) {
  EXPECT_EQ(ActiveBrokerOrPass(Broker(0, "env", true), "default broker").reason,
            "default broker 'env'");
}

}  // namespace
}  // namespace switchboard
