// plugin/regional: weighted rendezvous hashing over a region's active
// brokers. The distribution properties are checked on the pure functions
// (rendezvous.h), the plugin against real rows.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "rendezvous.h"
#include "resolver_database_test.h"

namespace switchboard {
namespace {

using regional::PickRendezvous;
using ::testing::HasSubstr;

struct B {
  std::int64_t id;
  int weight;
};

std::string Uuid(int i) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%08x-7d1c-4c5e-9f3a-%012d", i * 2654435761u, i);
  return buffer;
}

std::int64_t Pick(const std::string& uuid, const std::vector<B>& brokers) {
  return brokers.at(PickRendezvous(uuid, brokers)).id;
}

TEST(RendezvousTest, HashIsStableAcrossBuilds) {
  // Golden values: a change here moves devices between brokers in every
  // deployment. Never update them casually.
  EXPECT_EQ(regional::StableHash("", 0), 0xea29bbf411b31272ULL);
  EXPECT_EQ(regional::StableHash("device-1", 1), 0x2c8a1320eb354392ULL);
  EXPECT_EQ(regional::StableHash("device-1", 2), 0xfcaccc823ec162d8ULL);
}

TEST(RendezvousTest, SpreadsByWeight) {
  const std::vector<B> brokers = {{1, 100}, {2, 100}, {3, 200}};
  std::map<std::int64_t, int> count;
  const int n = 10000;
  for (int i = 0; i < n; ++i) ++count[Pick(Uuid(i), brokers)];
  EXPECT_NEAR(count[1] / double(n), 0.25, 0.02);
  EXPECT_NEAR(count[2] / double(n), 0.25, 0.02);
  EXPECT_NEAR(count[3] / double(n), 0.50, 0.02);
}

TEST(RendezvousTest, IsDeterministicAndIndependentOfOrder) {
  const std::vector<B> brokers = {{1, 100}, {2, 100}, {3, 200}};
  const std::vector<B> reversed = {{3, 200}, {2, 100}, {1, 100}};
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(Pick(Uuid(i), brokers), Pick(Uuid(i), brokers));
    EXPECT_EQ(Pick(Uuid(i), brokers), Pick(Uuid(i), reversed));
  }
}

TEST(RendezvousTest, RemovingABrokerMovesOnlyItsDevices) {
  const std::vector<B> before = {{1, 100}, {2, 100}, {3, 200}};
  const std::vector<B> after = {{1, 100}, {3, 200}};
  int moved = 0;
  for (int i = 0; i < 10000; ++i) {
    const auto a = Pick(Uuid(i), before);
    const auto b = Pick(Uuid(i), after);
    if (a != 2) {
      EXPECT_EQ(a, b) << Uuid(i);
    }
    if (a != b) ++moved;
  }
  EXPECT_NEAR(moved / 10000.0, 0.25, 0.02);  // exactly broker 2's share
}

TEST(RendezvousTest, AddingABrokerMovesDevicesOnlyToIt) {
  const std::vector<B> before = {{1, 100}, {2, 100}, {3, 200}};
  const std::vector<B> after = {{1, 100}, {2, 100}, {3, 200}, {4, 100}};
  int moved = 0;
  for (int i = 0; i < 10000; ++i) {
    const auto a = Pick(Uuid(i), before);
    const auto b = Pick(Uuid(i), after);
    if (a != b) {
      EXPECT_EQ(b, 4) << Uuid(i);
      ++moved;
    }
  }
  EXPECT_NEAR(moved / 10000.0, 0.20, 0.02);  // 100 of 500
}

TEST(RendezvousTest, ZeroWeightNeverWinsAndEmptyPicksNothing) {
  EXPECT_EQ(PickRendezvous("x", std::vector<B>{}), 0u);
  EXPECT_EQ(PickRendezvous("x", std::vector<B>{{1, 0}}), 1u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(Pick(Uuid(i), {{1, 0}, {2, 1}}), 2);
}

constexpr char kChain[] =
    "    - plugin: regional\n"
    "      params: {fallback_regions: {eu-west: [eu-central, eu-north]}}\n";

class RegionalPluginTest : public testing::ResolverDatabaseTest {};

TEST_P(RegionalPluginTest, ResolvesTheRendezvousWinnerAmongActiveBrokersOfTheRegion) {
  InsertBroker({.id = 1, .name = "w1", .region = "eu-west", .weight = 100});
  InsertBroker({.id = 2, .name = "w2", .region = "eu-west", .weight = 200});
  InsertBroker({.id = 3, .name = "w3-off", .active = false, .region = "eu-west"});
  InsertBroker({.id = 4, .name = "c1", .region = "eu-central"});
  const std::vector<B> active = {{1, 100}, {2, 200}};
  std::set<std::int64_t> seen;
  for (int i = 0; i < 40; ++i) {
    InsertDevice({.uuid = Uuid(i), .region = "eu-west"});
    const Resolution r = Resolve(kChain, Uuid(i));
    ASSERT_TRUE(r.broker) << r.reason;
    EXPECT_EQ(r.broker->id, Pick(Uuid(i), active));
    EXPECT_EQ(r.resolved_by, "regional");
    EXPECT_THAT(r.reason, HasSubstr("region 'eu-west': broker '"));
    EXPECT_THAT(r.reason, HasSubstr("weighted rendezvous over 2 active"));
    seen.insert(r.broker->id);
  }
  EXPECT_EQ(seen, (std::set<std::int64_t>{1, 2}));  // both used, never the inactive one
}

TEST_P(RegionalPluginTest, AlternatesAreTheDevicesNextRendezvousChoices) {
  const std::vector<B> all = {{1, 100}, {2, 100}, {3, 100}, {4, 100}};
  for (const B& b : all) {
    InsertBroker({.id = b.id, .name = "w" + std::to_string(b.id), .region = "eu-west"});
  }
  for (int i = 0; i < 20; ++i) {
    InsertDevice({.uuid = Uuid(i), .region = "eu-west"});
    const Resolution r = Resolve(kChain, Uuid(i));
    ASSERT_EQ(r.endpoints.size(), 3u);  // the winner and 2 alternates (the default)
    const std::vector<std::size_t> ranked = regional::RankRendezvous(Uuid(i), all);
    for (std::size_t k = 0; k < 3; ++k) EXPECT_EQ(r.endpoints[k].broker.id, all[ranked[k]].id);
  }
  const Resolution none = Resolve(
      "    - plugin: regional\n"
      "      params: {alternates: 0}\n",
      Uuid(0));
  EXPECT_EQ(none.endpoints.size(), 1u);
}

TEST_P(RegionalPluginTest, AnUnhealthyBrokerMovesOnlyItsOwnDevicesSpreadOverTheOthers) {
  for (std::int64_t id = 1; id <= 3; ++id) {
    InsertBroker({.id = id, .name = "w" + std::to_string(id), .region = "eu-west"});
  }
  constexpr int kDevices = 300;
  std::map<int, std::int64_t> before;
  for (int i = 0; i < kDevices; ++i) {
    InsertDevice({.uuid = Uuid(i), .region = "eu-west"});
    const Resolution r = Resolve(kChain, Uuid(i));
    ASSERT_TRUE(r.broker);
    before[i] = r.endpoints.front().broker.id;
  }
  HealthSnapshot health;
  health.brokers[2].state = HealthState::kUnhealthy;
  health.brokers[2].since = "2026-12-05T06:00:00.000Z";
  int stayed = 0;
  std::map<std::int64_t, int> moved_to;
  for (int i = 0; i < kDevices; ++i) {
    const Resolution r = Resolve(kChain, Uuid(i), &health);
    ASSERT_TRUE(r.broker);
    const std::int64_t now = r.endpoints.front().broker.id;
    EXPECT_NE(now, 2);
    if (before[i] != 2) {
      EXPECT_EQ(now, before[i]) << "device " << i << " was not on the failed broker";
      ++stayed;
    } else {
      ++moved_to[now];
      // The resolver itself skipped the broker: no health failover needed.
      EXPECT_THAT(r.reason, HasSubstr("(1 unhealthy skipped)"));
    }
  }
  const int moved = moved_to[1] + moved_to[3];
  EXPECT_EQ(stayed + moved, kDevices);
  EXPECT_GT(moved, kDevices / 6);  // about a third were on broker 2
  EXPECT_GT(moved_to[1], moved / 4) << "spread over both others";
  EXPECT_GT(moved_to[3], moved / 4) << "spread over both others";

  // Every broker of the region down: the ranking stands (the host's panic).
  for (std::int64_t id : {1, 3}) health.brokers[id].state = HealthState::kUnhealthy;
  for (int i = 0; i < 30; ++i) {
    const Resolution r = Resolve(kChain, Uuid(i), &health);
    EXPECT_EQ(r.endpoints.front().broker.id, before[i]);
    EXPECT_EQ(OutcomeName(r.trace.back().outcome), std::string("panic"));
  }
}

TEST_P(RegionalPluginTest, PassesWithoutRegion) {
  InsertBroker({.id = 1, .name = "w1", .region = "eu-west"});
  InsertDevice({.uuid = "u1"});
  EXPECT_EQ(Resolve(kChain, "u1").trace.at(0).reason, "device has no region");
}

TEST_P(RegionalPluginTest, FallsBackToTheListedRegionsInOrder) {
  InsertBroker({.id = 1, .name = "off", .active = false, .region = "eu-west"});
  InsertBroker({.id = 5, .name = "north", .region = "eu-north"});
  InsertDevice({.uuid = "u1", .region = "eu-west"});
  Resolution r = Resolve(kChain, "u1");
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.broker->id, 5);
  EXPECT_EQ(r.reason,
            "fallback region 'eu-north' (none active in 'eu-west'): broker 'north' (id 5), "
            "weighted rendezvous over 1 active");
  InsertBroker({.id = 4, .name = "central", .region = "eu-central"});
  r = Resolve(kChain, "u1");
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.broker->id, 4);  // eu-central is listed first
}

TEST_P(RegionalPluginTest, PassesWhenNoRegionHasAnActiveBroker) {
  InsertBroker({.id = 1, .name = "elsewhere", .region = "us-east"});
  InsertDevice({.uuid = "u1", .region = "eu-west"});
  InsertDevice({.uuid = "u2", .region = "ap-south"});
  EXPECT_EQ(Resolve(kChain, "u1").trace.at(0).reason,
            "no active broker in region 'eu-west' nor its fallback regions 'eu-central', "
            "'eu-north'");
  EXPECT_EQ(Resolve(kChain, "u2").trace.at(0).reason, "no active broker in region 'ap-south'");
}

TEST_P(RegionalPluginTest, BadParamsAreAllReported) {
  const std::string error = testing::ChainError(
      "    - plugin: regional\n"
      "      params:\n"
      "        fallback_regions:\n"
      "          a: b\n"            // line 7: not a list
      "          c: [c, d, d]\n"    // line 8: itself, twice
      "        fallback: x\n"       // line 9: unknown (a prefix)
      "        alternates: 17\n");  // line 10: out of range
  EXPECT_THAT(error, HasSubstr("test.yaml:7:11: plugin/regional: 'fallback_regions.a' must be a "
                               "list of regions"));
  EXPECT_THAT(error, HasSubstr("test.yaml:8:15: plugin/regional: 'fallback_regions.c' lists the "
                               "region itself"));
  EXPECT_THAT(error, HasSubstr("test.yaml:8:21: plugin/regional: 'fallback_regions.c' lists 'd' "
                               "twice"));
  EXPECT_THAT(error, HasSubstr("test.yaml:9:9: plugin/regional: unknown key 'fallback' (did you "
                               "mean 'fallback_regions'?)"));
  EXPECT_THAT(error, HasSubstr("plugin/regional: 'alternates': must be 0..16"));
}

SWITCHBOARD_BOTH_BACKENDS(RegionalPluginTest);

}  // namespace
}  // namespace switchboard
