#include "util/failure_limiter.h"

#include <gtest/gtest.h>

#include <string>

namespace switchboard {
namespace {

using namespace std::chrono_literals;
using Clock = FailureLimiter::Clock;

const Clock::time_point kStart = Clock::time_point() + 1000h;

FailureLimits Limits(int burst, std::chrono::milliseconds refill, std::size_t max_clients = 100) {
  FailureLimits limits;
  limits.burst = burst;
  limits.refill = refill;
  limits.max_clients = max_clients;
  return limits;
}

// `n` failed attempts from `address` at `now`; returns how many were let
// through to the credential check.
int Fail(FailureLimiter& limiter, const std::string& address, int n, Clock::time_point now) {
  int checked = 0;
  for (int i = 0; i < n; ++i) {
    if (!limiter.Acquire(address, now).refused()) ++checked;
  }
  return checked;
}

TEST(FailureLimiterTest, BurstFailuresThenRefusedWithTheWaitUntilTheNextToken) {
  FailureLimiter limiter(Limits(3, 6s));
  EXPECT_EQ(Fail(limiter, "10.0.0.1", 5, kStart), 3);
  const auto refused = limiter.Acquire("10.0.0.1", kStart + 2s);
  EXPECT_TRUE(refused.refused());
  EXPECT_EQ(refused.retry_after, 4000ms);
}

TEST(FailureLimiterTest, OneTokenComesBackPerRefill) {
  FailureLimiter limiter(Limits(3, 6s));
  EXPECT_EQ(Fail(limiter, "10.0.0.1", 3, kStart), 3);
  EXPECT_EQ(Fail(limiter, "10.0.0.1", 3, kStart + 6s), 1);
  EXPECT_EQ(Fail(limiter, "10.0.0.1", 3, kStart + 30s), 3);  // refilled to burst, no more
}

TEST(FailureLimiterTest, AnotherAddressIsNeverRefused) {
  FailureLimiter limiter(Limits(2, 60s));
  EXPECT_EQ(Fail(limiter, "10.0.0.1", 10, kStart), 2);
  const auto other = limiter.Acquire("10.0.0.2", kStart);
  EXPECT_FALSE(other.refused());
  limiter.Succeeded(other, kStart);
}

TEST(FailureLimiterTest, SuccessesCostNothing) {
  FailureLimiter limiter(Limits(2, 60s));
  for (int i = 0; i < 1000; ++i) {
    const auto attempt = limiter.Acquire("10.0.0.1", kStart);
    ASSERT_FALSE(attempt.refused()) << i;
    limiter.Succeeded(attempt, kStart);
  }
  EXPECT_EQ(limiter.TrackedForTest(), 0u);  // full again: forgotten
}

TEST(FailureLimiterTest, ValidCredentialAfterFailuresIsServedOnceATokenIsBack) {
  FailureLimiter limiter(Limits(2, 6s));
  EXPECT_EQ(Fail(limiter, "10.0.0.1", 2, kStart), 2);
  const auto blocked = limiter.Acquire("10.0.0.1", kStart + 1s);
  ASSERT_TRUE(blocked.refused());
  EXPECT_EQ(blocked.retry_after, 5000ms);
  const auto after_wait = limiter.Acquire("10.0.0.1", kStart + 1s + blocked.retry_after);
  ASSERT_FALSE(after_wait.refused());
  limiter.Succeeded(after_wait, kStart + 6s);
  // The success gave its token back: the next one goes through too.
  EXPECT_FALSE(limiter.Acquire("10.0.0.1", kStart + 6s).refused());
}

TEST(FailureLimiterTest, InFlightAttemptsAreBoundedByTheBurst) {
  // Tokens are taken before the check: a thousand parallel guesses from
  // one address reach the check at most `burst` times.
  FailureLimiter limiter(Limits(5, 60s));
  EXPECT_EQ(Fail(limiter, "10.0.0.1", 1000, kStart), 5);
}

TEST(FailureLimiterTest, IPv6IsCountedPerSlash64) {
  EXPECT_EQ(FailureLimiter::KeyOf("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(FailureLimiter::KeyOf("::ffff:10.0.0.1"), "10.0.0.1");
  FailureLimiter limiter(Limits(2, 60s));
  EXPECT_EQ(Fail(limiter, "2001:db8:1:2::1", 1, kStart), 1);
  EXPECT_EQ(Fail(limiter, "2001:db8:1:2::2", 3, kStart), 1);  // same /64
  EXPECT_EQ(Fail(limiter, "2001:db8:1:3::1", 1, kStart), 1);  // another /64
}

TEST(FailureLimiterTest, MemoryIsBoundedUnderAnAddressFlood) {
  FailureLimiter limiter(Limits(2, 60s, /*max_clients=*/100));
  for (int i = 0; i < 10'000; ++i) {
    Fail(limiter,
         "10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) + "." +
             std::to_string(i % 256),
         1, kStart);
  }
  EXPECT_EQ(limiter.TrackedForTest(), 100u);
  EXPECT_GT(limiter.overflowed(), 0u);
  // The overflow bucket is shared: the flood beyond the table is limited
  // together, not let through.
  EXPECT_TRUE(limiter.Acquire("192.0.2.1", kStart).refused());
  // A tracked address keeps its own bucket.
  EXPECT_FALSE(limiter.Acquire("10.0.0.0", kStart).refused());
  // Once the flood's buckets are full again, the sweep (at most once a
  // second) makes room for new addresses.
  const auto later = kStart + 10min;
  const auto fresh = limiter.Acquire("192.0.2.1", later);
  EXPECT_FALSE(fresh.refused());
  EXPECT_FALSE(fresh.overflow);
  EXPECT_LE(limiter.TrackedForTest(), 100u);
}

TEST(FailureLimiterTest, RefusesNonsenseLimits) {
  EXPECT_THROW(FailureLimiter(Limits(0, 6s)), std::invalid_argument);
  EXPECT_THROW(FailureLimiter(Limits(1, 0s)), std::invalid_argument);
  EXPECT_THROW(FailureLimiter(Limits(1, 6s, 0)), std::invalid_argument);
}

}  // namespace
}  // namespace switchboard
