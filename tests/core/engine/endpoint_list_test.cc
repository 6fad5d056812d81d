// The device's endpoint list (engine/endpoint_list.h): order, duplicates,
// inactive brokers, backups of backups, health ordering and panic mode.
// The brokers come from an in-memory BrokerDirectory and the health from a
// fixed HealthSnapshot: both are interfaces the host hands in, and the list
// is a pure function of them.
#include "engine/endpoint_list.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace switchboard {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class MapDirectory : public BrokerDirectory {
 public:
  BrokerConfig& Add(std::int64_t id, std::vector<std::int64_t> backups = {}, bool active = true) {
    BrokerConfig& b = brokers_[id];
    b.id = id;
    b.name = "b" + std::to_string(id);
    b.host = b.name + ".example";
    b.is_active = active;
    b.from_storage = true;
    b.backup_broker_ids = std::move(backups);
    return b;
  }
  std::optional<BrokerConfig> ById(std::int64_t id) override {
    ++reads;
    const auto it = brokers_.find(id);
    if (it == brokers_.end()) return std::nullopt;
    return it->second;
  }
  std::optional<BrokerConfig> Default() override { return std::nullopt; }
  std::vector<BrokerConfig> ActiveInRegion(const std::string&) override { return {}; }
  std::optional<FleetRow> Fleet(const std::string&) override { return std::nullopt; }

  int reads = 0;

 private:
  std::map<std::int64_t, BrokerConfig> brokers_;
};

HealthSnapshot Health(std::map<std::int64_t, HealthState> states) {
  HealthSnapshot snapshot;
  for (const auto& [id, state] : states) {
    BrokerHealth& h = snapshot.brokers[id];
    h.state = state;
    h.since = "2026-12-05T06:00:00.000Z";
  }
  return snapshot;
}

class EndpointListTest : public ::testing::Test {
 protected:
  // Resolves `id` with `alternates` and builds the list.
  Resolution Build(std::int64_t id, std::vector<std::int64_t> alternates = {},
                   const HealthSnapshot& health = {}) {
    Resolution r;
    r.broker = *directory_.ById(id);
    r.resolved_by = "device";
    for (std::int64_t a : alternates) r.alternates.push_back(*directory_.ById(a));
    directory_.reads = 0;
    AddEndpoints(r, directory_, health);
    return r;
  }
  static std::vector<std::int64_t> Ids(const Resolution& r) {
    std::vector<std::int64_t> out;
    for (const Endpoint& e : r.endpoints) out.push_back(e.broker.id);
    return out;
  }

  MapDirectory directory_;
};

TEST_F(EndpointListTest, ResolvedThenAlternatesThenBackupsInOrder) {
  directory_.Add(1, {4, 5});
  directory_.Add(2, {6});
  directory_.Add(3);
  directory_.Add(4);
  directory_.Add(5);
  directory_.Add(6);
  const Resolution r = Build(1, {2, 3});
  EXPECT_THAT(Ids(r), ElementsAre(1, 2, 3, 4, 5, 6));
  EXPECT_EQ(r.trace.size(), 0u);  // nothing to say without health
}

TEST_F(EndpointListTest, DuplicatesAndCyclesAppearOnce) {
  directory_.Add(1, {2, 3, 2});
  directory_.Add(2, {1, 3});  // a cycle back to 1
  directory_.Add(3, {2});
  const Resolution r = Build(1, {3, 1});
  EXPECT_THAT(Ids(r), ElementsAre(1, 3, 2));
}

TEST_F(EndpointListTest, BackupsOfBackupsAreFlattenedOnce) {
  directory_.Add(1, {2});
  directory_.Add(2, {3});
  directory_.Add(3, {4});
  directory_.Add(4);
  EXPECT_THAT(Ids(Build(1)), ElementsAre(1, 2, 3, 4));
}

TEST_F(EndpointListTest, InactiveAndMissingBrokersAreDropped) {
  directory_.Add(1, {2, 9, 3});  // 9 does not exist
  directory_.Add(2, {}, /*active=*/false);
  directory_.Add(3);
  directory_.Add(4, {}, /*active=*/false);
  const Resolution r = Build(1, {4});
  EXPECT_THAT(Ids(r), ElementsAre(1, 3));
}

TEST_F(EndpointListTest, EachBackupIdIsReadOnce) {
  directory_.Add(1, {2, 3});
  directory_.Add(2, {3, 9});
  directory_.Add(3, {2, 9});
  Build(1);
  EXPECT_EQ(directory_.reads, 3);  // 2, 3 and the missing 9, once each
}

TEST_F(EndpointListTest, TheListIsCapped) {
  std::vector<std::int64_t> many;
  for (std::int64_t id = 2; id < 40; ++id) {
    directory_.Add(id);
    many.push_back(id);
  }
  directory_.Add(1, many);
  EXPECT_EQ(Build(1).endpoints.size(), kMaxEndpoints);
}

TEST_F(EndpointListTest, UnhealthyEndpointsMoveBehindKeepingTheirOrder) {
  directory_.Add(1, {2, 3, 4});
  directory_.Add(2);
  directory_.Add(3);
  directory_.Add(4);
  const Resolution r = Build(1, {},
                             Health({{1, HealthState::kHealthy},
                                     {2, HealthState::kUnhealthy},
                                     {3, HealthState::kUnhealthy}}));
  EXPECT_THAT(Ids(r), ElementsAre(1, 4, 2, 3));  // 4 is unknown: counts as healthy
  EXPECT_EQ(r.trace.size(), 0u);                 // the device keeps its broker
  EXPECT_EQ(r.endpoints[1].health, HealthState::kUnknown);
  EXPECT_EQ(r.endpoints[2].health, HealthState::kUnhealthy);
}

TEST_F(EndpointListTest, AnUnhealthyResolvedBrokerHandsOutTheNextOneWithAHealthStep) {
  directory_.Add(1, {2});
  directory_.Add(2);
  const Resolution r = Build(1, {}, Health({{1, HealthState::kUnhealthy}}));
  EXPECT_THAT(Ids(r), ElementsAre(2, 1));
  ASSERT_EQ(r.trace.size(), 1u);
  EXPECT_EQ(r.trace[0].plugin, "health");
  EXPECT_EQ(r.trace[0].outcome, TraceStep::Outcome::kFailover);
  EXPECT_EQ(r.trace[0].reason,
            "broker 'b1' (id 1) unhealthy since 2026-12-05T06:00:00.000Z: handing out 'b2' "
            "(id 2)");
  EXPECT_EQ(r.broker->id, 1);  // the chain's answer is kept for explain
}

TEST_F(EndpointListTest, EveryEndpointUnhealthyKeepsTheOriginalOrderAndSaysSo) {
  directory_.Add(1, {2, 3});
  directory_.Add(2);
  directory_.Add(3);
  const Resolution r = Build(1, {},
                             Health({{1, HealthState::kUnhealthy},
                                     {2, HealthState::kUnhealthy},
                                     {3, HealthState::kUnhealthy}}));
  EXPECT_THAT(Ids(r), ElementsAre(1, 2, 3));
  ASSERT_EQ(r.trace.size(), 1u);
  EXPECT_EQ(r.trace[0].outcome, TraceStep::Outcome::kPanic);
  EXPECT_THAT(r.trace[0].reason, HasSubstr("every endpoint unhealthy (3)"));
  EXPECT_THAT(r.trace[0].reason, HasSubstr("'b1' (id 1) first"));
}

TEST_F(EndpointListTest, ALoneUnhealthyBrokerIsStillHandedOut) {
  directory_.Add(1);
  const Resolution r = Build(1, {}, Health({{1, HealthState::kUnhealthy}}));
  EXPECT_THAT(Ids(r), ElementsAre(1));
  ASSERT_EQ(r.trace.size(), 1u);
  EXPECT_EQ(r.trace[0].outcome, TraceStep::Outcome::kPanic);
}

TEST_F(EndpointListTest, AnEnvBrokerHasNoBackupsAndNoHealth) {
  Resolution r;
  BrokerConfig env;
  env.host = "env.example";
  r.broker = env;
  AddEndpoints(r, directory_, Health({{0, HealthState::kUnhealthy}}));
  ASSERT_EQ(r.endpoints.size(), 1u);
  EXPECT_EQ(r.endpoints[0].health, HealthState::kUnknown);
  EXPECT_TRUE(r.trace.empty());
}

TEST_F(EndpointListTest, NothingResolvedMeansNoList) {
  Resolution r;
  AddEndpoints(r, directory_, {});
  EXPECT_TRUE(r.endpoints.empty());
}

}  // namespace
}  // namespace switchboard
