// health_store.h on both backends: the claim protocol that makes several
// instances probe each broker once per interval in total, lease expiry
// after a crash, and what one recorded probe writes. Times are passed in,
// so nothing here waits on a clock.
#include "health/health_store.h"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <algorithm>

#include "test_database.h"

namespace switchboard {
namespace {

constexpr char kT0[] = "2026-12-05T06:00:00.000Z";
constexpr char kT0Lease[] = "2026-12-05T06:00:11.000Z";  // kT0 + a lease of 11 s
constexpr char kT1[] = "2026-12-05T06:00:05.000Z";       // lease still held
constexpr char kT2[] = "2026-12-05T06:00:12.000Z";       // lease expired
constexpr char kT2Lease[] = "2026-12-05T06:00:23.000Z";
constexpr char kNext[] = "2026-12-05T06:00:15.000Z";
constexpr HealthThresholds kThresholds{3, 2};

class HealthStoreTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    Exec("INSERT INTO mqtt_broker_config (id, name, host) VALUES (1, 'one', 'one.example')");
    Exec("INSERT INTO mqtt_broker_config (id, name, host) VALUES (2, 'two', 'two.example')");
    Exec(
        "INSERT INTO mqtt_broker_config (id, name, host, is_active) "
        "VALUES (3, 'off', 'off.example', 0)");
  }

  HealthCheck Check(bool ok, const std::string& at, const std::string& by) {
    HealthCheck check;
    check.checked_at = at;
    check.ok = ok;
    check.stage = ok ? "mqtt" : "tcp";
    check.latency_ms = ok ? 3 : 1;
    check.error = ok ? "" : "tcp: connection refused";
    check.checked_by = by;
    return check;
  }

  long long Count(const std::string& sql) {
    long long n = -1;
    auto lease = storage().Acquire();
    *lease << sql, soci::into(n);
    return n;
  }
};

TEST_P(HealthStoreTest, RowsAreAddedOnceForActiveBrokersOnly) {
  HealthStore a(storage(), "a");
  a.AddMissingRows(kT0);
  a.AddMissingRows(kT0);  // idempotent, also when two instances race
  HealthStore b(storage(), "b");
  b.AddMissingRows(kT0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM broker_health"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM broker_health WHERE broker_id = 3"), 0);
}

TEST_P(HealthStoreTest, AClaimedBrokerIsNotClaimedByAnotherInstanceUntilItsLeaseExpires) {
  HealthStore a(storage(), "instance-a");
  HealthStore b(storage(), "instance-b");
  a.AddMissingRows(kT0);
  EXPECT_EQ(a.ClaimDue(kT0, kT0Lease, 10), (std::vector<std::int64_t>{1, 2}));
  EXPECT_TRUE(b.ClaimDue(kT0, kT0Lease, 10).empty());
  EXPECT_TRUE(b.ClaimDue(kT1, kT0Lease, 10).empty());
  // instance-a died holding both: after the lease, b takes them over.
  EXPECT_EQ(b.ClaimDue(kT2, kT2Lease, 10), (std::vector<std::int64_t>{1, 2}));
}

TEST_P(HealthStoreTest, ClaimsAtMostLimitTheLongestDueFirst) {
  HealthStore a(storage(), "a");
  a.AddMissingRows(kT0);
  Exec("UPDATE broker_health SET next_check_at = '2026-12-05T05:59:00.000Z' WHERE broker_id = 2");
  EXPECT_EQ(a.ClaimDue(kT0, kT0Lease, 1), std::vector<std::int64_t>{2});
  EXPECT_EQ(a.ClaimDue(kT0, kT0Lease, 1), std::vector<std::int64_t>{1});
  EXPECT_TRUE(a.ClaimDue(kT0, kT0Lease, 1).empty());
}

TEST_P(HealthStoreTest, ARecordedBrokerIsNotDueAgainUntilNextCheckAt) {
  HealthStore a(storage(), "a");
  a.AddMissingRows(kT0);
  ASSERT_EQ(a.ClaimDue(kT0, kT0Lease, 1), std::vector<std::int64_t>{1});
  ASSERT_TRUE(a.Record(1, Check(true, kT1, "a"), kThresholds, kNext));
  // Lease freed, but not due before kNext.
  EXPECT_EQ(a.ClaimDue(kT2, kT2Lease, 10), std::vector<std::int64_t>{2});
  EXPECT_EQ(a.ClaimDue(kNext, "2026-12-05T06:00:30.000Z", 10), std::vector<std::int64_t>{1});
}

TEST_P(HealthStoreTest, AResultAfterTheLeaseWasTakenOverIsDropped) {
  HealthStore a(storage(), "a");
  HealthStore b(storage(), "b");
  a.AddMissingRows(kT0);
  ASSERT_EQ(a.ClaimDue(kT0, kT0Lease, 1), std::vector<std::int64_t>{1});
  ASSERT_EQ(b.ClaimDue(kT2, kT2Lease, 1), std::vector<std::int64_t>{1});
  EXPECT_FALSE(a.Record(1, Check(false, kT2, "a"), kThresholds, kNext));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM broker_health_checks"), 0);
  EXPECT_TRUE(b.Record(1, Check(true, kT2, "b"), kThresholds, kNext));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM broker_health_checks"), 1);
}

TEST_P(HealthStoreTest, RecordAppliesTheStateMachineAndKeepsTheFacts) {
  Exec("UPDATE mqtt_broker_config SET is_active = 0 WHERE id = 2");  // broker 1 only
  HealthStore a(storage(), "a");
  a.AddMissingRows(kT0);
  ASSERT_TRUE(a.ClaimDue(kT0, kT0Lease, 1).size() == 1);
  auto first = a.Record(1, Check(true, kT1, "a"), kThresholds, kNext);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->before, HealthState::kUnknown);
  EXPECT_EQ(first->after.state, HealthState::kHealthy);
  EXPECT_EQ(first->broker_name, "one");

  // Two failures: still healthy (threshold 3), with the error kept.
  for (const char* at : {"2026-12-05T06:01:00.000Z", "2026-12-05T06:02:00.000Z"}) {
    ASSERT_EQ(a.ClaimDue(at, "2026-12-05T07:00:00.000Z", 1), std::vector<std::int64_t>{1});
    auto r = a.Record(1, Check(false, at, "a"), kThresholds, at);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->after.state, HealthState::kHealthy);
  }
  const auto stored = a.Load(1);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->health.state, HealthState::kHealthy);
  EXPECT_EQ(stored->health.since, kT1);
  EXPECT_EQ(stored->health.last_ok_at, kT1);
  EXPECT_EQ(stored->health.last_checked_at, "2026-12-05T06:02:00.000Z");
  EXPECT_EQ(stored->health.latency_ms, 3);  // the last successful probe's
  EXPECT_EQ(stored->health.last_error, "tcp: connection refused");
  EXPECT_EQ(stored->checked_by, "a");

  const char* third = "2026-12-05T06:03:00.000Z";
  ASSERT_EQ(a.ClaimDue(third, "2026-12-05T07:00:00.000Z", 1), std::vector<std::int64_t>{1});
  auto r = a.Record(1, Check(false, third, "a"), kThresholds, third);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->before, HealthState::kHealthy);
  EXPECT_EQ(r->after.state, HealthState::kUnhealthy);
  EXPECT_EQ(a.Load(1)->health.since, third);

  const auto checks = a.RecentChecks(1);
  ASSERT_EQ(checks.size(), 4u);
  EXPECT_EQ(checks.front().checked_at, third);  // newest first
  EXPECT_FALSE(checks.front().ok);
  EXPECT_EQ(checks.front().stage, "tcp");
  EXPECT_TRUE(checks.back().ok);
}

TEST_P(HealthStoreTest, KeepsTheLastFiftyChecksPerBroker) {
  Exec("UPDATE mqtt_broker_config SET is_active = 0 WHERE id = 2");  // broker 1 only
  HealthStore a(storage(), "a");
  a.AddMissingRows(kT0);
  for (int i = 0; i < kHealthChecksKept + 7; ++i) {
    char at[32];
    std::snprintf(at, sizeof at, "2026-12-05T06:%02d:%02d.000Z", 10 + i / 60, i % 60);
    ASSERT_EQ(a.ClaimDue(at, "2026-12-05T09:00:00.000Z", 1).size(), 1u) << i;
    ASSERT_TRUE(a.Record(1, Check(i % 2 == 0, at, "a"), kThresholds, at));
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM broker_health_checks WHERE broker_id = 1"),
            kHealthChecksKept);
  const auto checks = a.RecentChecks(1);
  ASSERT_EQ(checks.size(), static_cast<std::size_t>(kHealthChecksKept));
  EXPECT_EQ(checks.front().checked_at, "2026-12-05T06:10:56.000Z");  // the 57th
}

TEST_P(HealthStoreTest, InactiveBrokersAreNeitherClaimedNorListed) {
  HealthStore a(storage(), "a");
  a.AddMissingRows(kT0);
  Exec("UPDATE mqtt_broker_config SET is_active = 0 WHERE id = 2");
  EXPECT_EQ(a.ClaimDue(kT0, kT0Lease, 10), std::vector<std::int64_t>{1});
  const auto rows = a.LoadActive();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].broker_id, 1);
  EXPECT_EQ(rows[0].name, "one");
  EXPECT_EQ(rows[0].health.state, HealthState::kUnknown);
}

TEST_P(HealthStoreTest, ADeletedBrokerTakesItsHealthAlong) {
  HealthStore a(storage(), "a");
  a.AddMissingRows(kT0);
  ASSERT_EQ(a.ClaimDue(kT0, kT0Lease, 1), std::vector<std::int64_t>{1});
  ASSERT_TRUE(a.Record(1, Check(true, kT1, "a"), kThresholds, kNext));
  Exec("DELETE FROM mqtt_broker_config WHERE id = 1");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM broker_health WHERE broker_id = 1"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM broker_health_checks WHERE broker_id = 1"), 0);
  EXPECT_FALSE(a.Record(1, Check(true, kT2, "a"), kThresholds, kNext));
}

SWITCHBOARD_BOTH_BACKENDS(HealthStoreTest);

}  // namespace
}  // namespace switchboard
