// The health state machine (core/src/health/health_rules.h): the first probe
// decides an unknown broker's state; afterwards only a run of
// `unhealthy_threshold` failures or `healthy_threshold` successes moves it.
#include "health/health_rules.h"

#include <gtest/gtest.h>

#include <vector>

namespace switchboard {
namespace {

constexpr HealthThresholds kThresholds{3, 2};

// The states after each outcome in turn, from `start`.
std::vector<HealthState> StatesAfter(HealthCounters start, const std::vector<bool>& outcomes,
                                     HealthThresholds thresholds = kThresholds) {
  std::vector<HealthState> states;
  for (bool ok : outcomes) {
    start = ApplyProbeOutcome(start, ok, thresholds);
    states.push_back(start.state);
  }
  return states;
}

constexpr auto kH = HealthState::kHealthy;
constexpr auto kU = HealthState::kUnhealthy;

TEST(HealthRulesTest, UnknownTakesTheFirstOutcomeWithoutThreshold) {
  EXPECT_EQ(StatesAfter({}, {true}), std::vector<HealthState>{kH});
  EXPECT_EQ(StatesAfter({}, {false}), std::vector<HealthState>{kU});
}

TEST(HealthRulesTest, HealthyTurnsUnhealthyOnlyAfterThresholdConsecutiveFailures) {
  EXPECT_EQ(StatesAfter({kH, 5, 0}, {false, false, false}), (std::vector<HealthState>{kH, kH, kU}));
  // A success in between starts the count again.
  EXPECT_EQ(StatesAfter({kH, 5, 0}, {false, false, true, false, false, false}),
            (std::vector<HealthState>{kH, kH, kH, kH, kH, kU}));
}

TEST(HealthRulesTest, UnhealthyTurnsHealthyOnlyAfterThresholdConsecutiveSuccesses) {
  EXPECT_EQ(StatesAfter({kU, 0, 4}, {true, true}), (std::vector<HealthState>{kU, kH}));
  EXPECT_EQ(StatesAfter({kU, 0, 4}, {true, false, true, true}),
            (std::vector<HealthState>{kU, kU, kU, kH}));
}

TEST(HealthRulesTest, ThresholdOneFlipsOnEveryChange) {
  EXPECT_EQ(StatesAfter({kH, 1, 0}, {false, true, false}, {1, 1}),
            (std::vector<HealthState>{kU, kH, kU}));
}

TEST(HealthRulesTest, StreaksCountTheCurrentRunOnly) {
  HealthCounters c{kH, 7, 0};
  c = ApplyProbeOutcome(c, false, kThresholds);
  EXPECT_EQ(c.success_streak, 0);
  EXPECT_EQ(c.failure_streak, 1);
  c = ApplyProbeOutcome(c, true, kThresholds);
  EXPECT_EQ(c.success_streak, 1);
  EXPECT_EQ(c.failure_streak, 0);
}

TEST(HealthRulesTest, StateNamesRoundTrip) {
  for (HealthState state : {HealthState::kUnknown, kH, kU}) {
    EXPECT_EQ(HealthStateFromName(HealthStateName(state)), state);
  }
  EXPECT_EQ(HealthStateFromName("bogus"), HealthState::kUnknown);
}

}  // namespace
}  // namespace switchboard
