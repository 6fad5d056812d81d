// Backoff and jitter stay within their documented bounds (backoff.h) for
// every draw, including the extremes of the unit interval.
#include "backoff.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace switchboard::agent {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, WithoutJitterDelaysDoubleUpToTheMaximum) {
  ReconnectPolicy policy;
  policy.initial_delay_ms = 1000;
  policy.max_delay_ms = 10000;
  policy.jitter = 0;
  const long long expected[] = {1000, 2000, 4000, 8000, 10000, 10000};
  for (int failures = 0; failures < 6; ++failures) {
    EXPECT_EQ(BackoffDelay(policy, failures, 0.5).count(), expected[failures]) << failures;
  }
  EXPECT_EQ(BackoffDelay(policy, 1000000, 0.5).count(), 10000) << "no overflow for long outages";
}

TEST(BackoffTest, JitteredDelaysStayWithinTheirBoundsForEveryDraw) {
  ReconnectPolicy policy;
  policy.initial_delay_ms = 1000;
  policy.max_delay_ms = 120000;
  policy.jitter = 0.25;
  for (int failures = 0; failures < 12; ++failures) {
    const double base = std::min(120000.0, 1000.0 * std::exp2(failures));
    const double low = base * 0.75;
    const double high = std::min(120000.0, base * 1.25);
    for (double unit = 0; unit < 1.0; unit += 0.01) {
      const long long delay = BackoffDelay(policy, failures, unit).count();
      EXPECT_GE(delay, std::floor(low)) << failures << " " << unit;
      EXPECT_LE(delay, std::ceil(high)) << failures << " " << unit;
    }
    EXPECT_EQ(BackoffDelay(policy, failures, 0.0).count(), std::llround(low));
  }
}

TEST(BackoffTest, JitterSpreadsDelays) {
  ReconnectPolicy policy;
  policy.jitter = 0.5;
  EXPECT_EQ(BackoffDelay(policy, 0, 0.0).count(), 500);
  EXPECT_EQ(BackoffDelay(policy, 0, 0.5).count(), 1000);
  EXPECT_EQ(BackoffDelay(policy, 0, 0.999999).count(), 1500);
}

TEST(BackoffTest, NonsensePoliciesStillGiveAPositiveBoundedDelay) {
  ReconnectPolicy policy;
  policy.initial_delay_ms = 0;
  policy.max_delay_ms = 0;
  policy.jitter = 7;
  for (double unit : {-1.0, 0.0, 0.5, 2.0}) {
    const milliseconds delay = BackoffDelay(policy, -3, unit);
    EXPECT_GE(delay.count(), 1);
    EXPECT_LE(delay.count(), 1);
  }
  policy.initial_delay_ms = 5000;
  policy.max_delay_ms = 100;
  policy.jitter = 0;
  EXPECT_EQ(BackoffDelay(policy, 0, 0.5).count(), 100) << "the maximum wins";
}

TEST(JitteredTest, RefreshIntervalsSpreadByTheFraction) {
  const milliseconds period(300000);
  for (double unit = 0; unit < 1.0; unit += 0.05) {
    const long long value = Jittered(period, 0.1, unit).count();
    EXPECT_GE(value, 270000);
    EXPECT_LE(value, 330000);
  }
  EXPECT_EQ(Jittered(period, 0.1, 0.0).count(), 270000);
  EXPECT_EQ(Jittered(milliseconds(0), 0.1, 0.0).count(), 1);
}

TEST(UnitRandomTest, DrawsLieInTheHalfOpenUnitInterval) {
  UnitRandom random;
  double low = 1;
  double high = 0;
  for (int i = 0; i < 10000; ++i) {
    const double value = random();
    ASSERT_GE(value, 0.0);
    ASSERT_LT(value, 1.0);
    low = std::min(low, value);
    high = std::max(high, value);
  }
  EXPECT_LT(low, 0.1) << "not spread over the interval";
  EXPECT_GT(high, 0.9) << "not spread over the interval";
}

}  // namespace
}  // namespace switchboard::agent
