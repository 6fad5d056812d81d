#include "domain/mqtt_topics.h"

#include <gtest/gtest.h>

#include <string>

namespace switchboard {
namespace {

using std::string_literals::operator""s;

TEST(MqttTopicsTest, TopicNamesHaveNoWildcardsNulOrZeroLength) {
  EXPECT_TRUE(IsValidTopicName("a"));
  EXPECT_TRUE(IsValidTopicName("a/b/c"));
  EXPECT_TRUE(IsValidTopicName("/"));
  EXPECT_TRUE(IsValidTopicName("$SYS/x"));
  EXPECT_FALSE(IsValidTopicName(""));
  EXPECT_FALSE(IsValidTopicName("a/+"));
  EXPECT_FALSE(IsValidTopicName("a/#"));
  EXPECT_FALSE(IsValidTopicName("a#b"));
  EXPECT_FALSE(IsValidTopicName("a\0b"s));
  EXPECT_TRUE(IsValidTopicName(std::string(65535, 'a')));
  EXPECT_FALSE(IsValidTopicName(std::string(65536, 'a')));
}

TEST(MqttTopicsTest, FiltersAllowWildcardsOnlyAsWholeLevels) {
  for (const char* ok : {"#", "+", "a/#", "a/+/b", "+/+", "/#", "a//b"}) {
    EXPECT_TRUE(IsValidTopicFilter(ok)) << ok;
  }
  for (const char* bad : {"", "a#", "a/#/b", "a/b+", "++", "#/a", "a/+x"}) {
    EXPECT_FALSE(IsValidTopicFilter(bad)) << bad;
  }
  EXPECT_FALSE(IsValidTopicFilter("a/\0"s));
}

TEST(MqttTopicsTest, MatchingFollowsTheMqttRules) {
  EXPECT_TRUE(TopicMatchesFilter("a/#", "a"));
  EXPECT_TRUE(TopicMatchesFilter("a/#", "a/b/c"));
  EXPECT_TRUE(TopicMatchesFilter("a/+", "a/b"));
  EXPECT_TRUE(TopicMatchesFilter("a/+", "a/"));
  EXPECT_TRUE(TopicMatchesFilter("#", "a/b"));
  EXPECT_TRUE(TopicMatchesFilter("+/b", "a/b"));
  EXPECT_FALSE(TopicMatchesFilter("a/+", "a/b/c"));
  EXPECT_FALSE(TopicMatchesFilter("a/+", "a"));
  EXPECT_FALSE(TopicMatchesFilter("a/b", "a/c"));
  EXPECT_FALSE(TopicMatchesFilter("a/b", "a/b/c"));
  // '$' topics are never reached by a leading wildcard.
  EXPECT_FALSE(TopicMatchesFilter("#", "$SYS/x"));
  EXPECT_FALSE(TopicMatchesFilter("+/x", "$SYS/x"));
  EXPECT_TRUE(TopicMatchesFilter("$SYS/#", "$SYS/x"));
  // A wildcard in the topic is no topic.
  EXPECT_FALSE(TopicMatchesFilter("a/#", "a/+"));
  EXPECT_FALSE(TopicMatchesFilter("bad#", "bad#"));
}

TEST(MqttTopicsTest, AFilterCoversAnotherOnlyWhenEveryTopicOfItMatches) {
  EXPECT_TRUE(FilterCoversFilter("a/#", "a/#"));
  EXPECT_TRUE(FilterCoversFilter("a/#", "a"));
  EXPECT_TRUE(FilterCoversFilter("a/#", "a/+/c"));
  EXPECT_TRUE(FilterCoversFilter("a/+", "a/b"));
  EXPECT_TRUE(FilterCoversFilter("a/+", "a/+"));
  EXPECT_TRUE(FilterCoversFilter("#", "a/#"));
  EXPECT_FALSE(FilterCoversFilter("a/+", "a/#"));
  EXPECT_FALSE(FilterCoversFilter("a/b", "a/+"));
  EXPECT_FALSE(FilterCoversFilter("a/#", "#"));
  EXPECT_FALSE(FilterCoversFilter("a/#", "+/b"));
  EXPECT_FALSE(FilterCoversFilter("a/+", "a/b/c"));
  EXPECT_FALSE(FilterCoversFilter("#", "$SYS/#"));
  EXPECT_TRUE(FilterCoversFilter("$SYS/#", "$SYS/+"));
  EXPECT_FALSE(FilterCoversFilter("a/#", "a/b#"));
}

}  // namespace
}  // namespace switchboard
