#include "topic_rules.h"

#include <gtest/gtest.h>

namespace switchboard::mosquitto_plugin {
namespace {

Rules DeviceRules() {
  return {{true, Rule::Action::kAll, "iot/device/d1/#"},
          {true, Rule::Action::kSubscribe, "fleet/f1/cmd"},
          {true, Rule::Action::kPublish, "ingest/d1"},
          {false, Rule::Action::kAll, "#"}};
}

TEST(TopicRulesTest, PublishNeedsAPublishOrAllRule) {
  const Rules rules = DeviceRules();
  EXPECT_TRUE(Allowed(rules, Access::kPublish, "iot/device/d1/telemetry"));
  EXPECT_TRUE(Allowed(rules, Access::kPublish, "iot/device/d1"));
  EXPECT_TRUE(Allowed(rules, Access::kPublish, "ingest/d1"));
  EXPECT_FALSE(Allowed(rules, Access::kPublish, "fleet/f1/cmd"));
  EXPECT_FALSE(Allowed(rules, Access::kPublish, "iot/device/d2/telemetry"));
  EXPECT_FALSE(Allowed(rules, Access::kPublish, "iot/device/+/telemetry"));
  EXPECT_FALSE(Allowed(rules, Access::kPublish, ""));
}

TEST(TopicRulesTest, DeliveriesAndSubscriptionsNeedASubscribeOrAllRule) {
  const Rules rules = DeviceRules();
  EXPECT_TRUE(Allowed(rules, Access::kRead, "fleet/f1/cmd"));
  EXPECT_TRUE(Allowed(rules, Access::kRead, "iot/device/d1/x"));
  EXPECT_FALSE(Allowed(rules, Access::kRead, "ingest/d1"));
  EXPECT_TRUE(Allowed(rules, Access::kSubscribe, "iot/device/d1/#"));
  EXPECT_TRUE(Allowed(rules, Access::kSubscribe, "iot/device/d1/+/status"));
  EXPECT_TRUE(Allowed(rules, Access::kSubscribe, "fleet/f1/cmd"));
  EXPECT_FALSE(Allowed(rules, Access::kSubscribe, "fleet/f1/#"));
  EXPECT_FALSE(Allowed(rules, Access::kSubscribe, "iot/device/+/status"));
  EXPECT_FALSE(Allowed(rules, Access::kSubscribe, "#"));
  EXPECT_FALSE(Allowed(rules, Access::kSubscribe, "$SYS/#"));
}

TEST(TopicRulesTest, TheFirstMatchingRuleDecidesAndNoRuleDenies) {
  const Rules deny_first = {{false, Rule::Action::kAll, "a/secret"},
                            {true, Rule::Action::kAll, "a/#"}};
  EXPECT_FALSE(Allowed(deny_first, Access::kPublish, "a/secret"));
  EXPECT_TRUE(Allowed(deny_first, Access::kPublish, "a/open"));
  EXPECT_FALSE(Allowed({}, Access::kPublish, "a"));
  // A malformed rule matches nothing.
  EXPECT_FALSE(Allowed({{true, Rule::Action::kAll, "a/#/b"}}, Access::kPublish, "a/x/b"));
}

TEST(TopicRulesTest, CoversMatchesTheServersRule) {
  EXPECT_TRUE(FilterCovers("a/#", "a"));
  EXPECT_TRUE(FilterCovers("a/+", "a/+"));
  EXPECT_FALSE(FilterCovers("a/+", "a/#"));
  EXPECT_FALSE(FilterCovers("#", "$SYS/x"));
  EXPECT_FALSE(FilterCovers("a/#", "a/b#"));
  EXPECT_FALSE(FilterCovers("", "a"));
}

}  // namespace
}  // namespace switchboard::mosquitto_plugin
