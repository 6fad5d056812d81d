#include "status_topic.h"

#include <gtest/gtest.h>

namespace switchboard::agent {
namespace {

TEST(StatusTopicTest, UnderTheFirstUsableSubtree) {
  EXPECT_EQ(StatusTopicFor({"iot/device/u1/#"}), "iot/device/u1/status");
  EXPECT_EQ(StatusTopicFor({"+/x/#", "#", "a/#/b", "plant/7/dev-1/#"}), "plant/7/dev-1/status");
  EXPECT_EQ(StatusTopicFor({"plant/7/dev-1/state"}), "plant/7/dev-1/state");
}

TEST(StatusTopicTest, NoneWhenNothingIsWritable) {
  EXPECT_EQ(StatusTopicFor({}), "");
  EXPECT_EQ(StatusTopicFor({"#", "+/#", "/#", ""}), "");
}

}  // namespace
}  // namespace switchboard::agent
