// Chain execution semantics (docs/chain.md, resolver.h), with the scripted fixture
// plugin and no storage.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "engine/chain.h"
#include "engine/resolve_context.h"
#include "engine_testing.h"

namespace switchboard {
namespace {

using testing::ChainFromYaml;
using testing::FakeContext;
using ::testing::HasSubstr;
using testing::Outcomes;

std::string Step(const std::string& name, const std::string& outcome,
                 const std::string& extra = "") {
  return "    - plugin: scripted\n      params: {name: " + name + ", outcome: " + outcome +
         (extra.empty() ? "" : ", " + extra) + "}\n";
}

TEST(ChainTest, FirstResolvedWins) {
  const auto chain = ChainFromYaml(Step("a", "pass") + Step("b", "resolved", "host: b.example") +
                                   Step("c", "resolved", "host: c.example"));
  FakeContext context;
  const Resolution r = chain->Resolve(context);
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.broker->host, "b.example");
  EXPECT_EQ(r.resolved_by, "b");
  EXPECT_EQ(r.reason, "scripted resolved");
  EXPECT_FALSE(r.rejected);
  EXPECT_FALSE(r.failed);
  EXPECT_EQ(Outcomes(r), "a:pass,b:resolved");  // c never ran
  EXPECT_EQ(r.trace[0].reason, "scripted pass");
}

TEST(ChainTest, RejectStopsTheChain) {
  const auto chain = ChainFromYaml(Step("a", "reject", "reason: banned") + Step("b", "resolved"));
  FakeContext context;
  const Resolution r = chain->Resolve(context);
  EXPECT_FALSE(r.broker);
  EXPECT_TRUE(r.rejected);
  EXPECT_EQ(r.reason, "banned");
  EXPECT_EQ(r.resolved_by, "");
  EXPECT_EQ(Outcomes(r), "a:reject");
}

TEST(ChainTest, AllPassMeansNoBrokerNeverAMadeUpOne) {
  const auto chain = ChainFromYaml(Step("a", "pass") + Step("b", "pass"));
  FakeContext context;
  const Resolution r = chain->Resolve(context);
  EXPECT_FALSE(r.broker);
  EXPECT_FALSE(r.rejected);
  EXPECT_FALSE(r.failed);
  EXPECT_EQ(r.reason, "no broker: no step of the chain resolved this device");
  EXPECT_EQ(Outcomes(r), "a:pass,b:pass");
}

TEST(ChainTest, ThrowingPluginIsAnErrorStepAndTheChainGoesOn) {
  const auto chain =
      ChainFromYaml(Step("boom", "throw") + Step("odd", "throw_unknown") + Step("ok", "resolved"));
  FakeContext context;
  for (int i = 0; i < 3; ++i) {  // on every call
    const Resolution r = chain->Resolve(context);
    ASSERT_TRUE(r.broker);
    EXPECT_EQ(r.resolved_by, "ok");
    EXPECT_EQ(Outcomes(r), "boom:error,odd:error,ok:resolved");
    EXPECT_EQ(r.trace[0].reason, "plugin/boom: scripted failure");
    EXPECT_EQ(r.trace[1].reason, "plugin/odd: unknown exception");
  }
  // Errors are logged, prefixed with the plugin.
  const auto lines = context.log_.lines();
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "WARN plugin/boom: scripted failure");
}

// An exception is an Error step even when its message is empty, never a Pass.
TEST(ChainTest, ExceptionWithoutAMessageIsStillAnErrorStep) {
  const auto chain = ChainFromYaml(Step("quiet", "throw_empty") + Step("ok", "resolved"));
  FakeContext context;
  const Resolution r = chain->Resolve(context);
  EXPECT_EQ(Outcomes(r), "quiet:error,ok:resolved");
  EXPECT_EQ(r.trace[0].reason, "plugin/quiet: exception without a message");
}

TEST(ChainTest, ErrorsOnlyMeansNoBrokerAndSaysHowManyFailed) {
  const auto chain = ChainFromYaml(Step("a", "throw") + Step("b", "pass"));
  FakeContext context;
  const Resolution r = chain->Resolve(context);
  EXPECT_FALSE(r.broker);
  EXPECT_FALSE(r.failed);
  EXPECT_EQ(r.reason, "no broker: no step of the chain resolved this device (1 step failed)");
}

TEST(ChainTest, OnErrorFailStopsWithFailed) {
  const auto chain = ChainFromYaml(Step("a", "pass") +
                                   "    - plugin: scripted\n"
                                   "      params: {name: strict, outcome: throw}\n"
                                   "      on_error: fail\n" +
                                   Step("c", "resolved"));
  FakeContext context;
  const Resolution r = chain->Resolve(context);
  EXPECT_FALSE(r.broker);
  EXPECT_TRUE(r.failed);
  EXPECT_EQ(r.reason, "plugin/strict: scripted failure (on_error: fail)");
  EXPECT_EQ(Outcomes(r), "a:pass,strict:error");
}

TEST(ChainTest, OnErrorFailDoesNothingWhenTheStepSucceeds) {
  const auto chain =
      ChainFromYaml("    - plugin: scripted\n      params: {name: a}\n      on_error: fail\n" +
                    Step("b", "resolved"));
  FakeContext context;
  EXPECT_EQ(chain->Resolve(context).resolved_by, "b");
  EXPECT_EQ(chain->Describe()[0].on_error, "fail");
  EXPECT_EQ(chain->Describe()[1].on_error, "continue");
}

TEST(ChainTest, StorageUnavailableIsAnErrorOfTheStepThatNeededIt) {
  const auto chain =
      ChainFromYaml(Step("db", "resolved", "needs_sql: true") + Step("nodb", "resolved"));
  FakeContext context;  // sql() throws StorageUnavailable
  const Resolution r = chain->Resolve(context);
  EXPECT_EQ(Outcomes(r), "db:error,nodb:resolved");
  EXPECT_EQ(r.trace[0].reason, "plugin/db: no storage in this test");
}

TEST(ChainTest, AnInvalidResolvedBrokerIsAnErrorNotSentToDevices) {
  const auto chain = ChainFromYaml(Step("nohost", "resolved", "host: ''") +
                                   Step("badport", "resolved", "port: 0") + Step("ok", "resolved"));
  FakeContext context;
  const Resolution r = chain->Resolve(context);
  EXPECT_EQ(Outcomes(r), "nohost:error,badport:error,ok:resolved");
  EXPECT_EQ(r.trace[0].reason, "plugin/nohost: resolved a broker without a host");
  EXPECT_THAT(r.trace[1].reason, HasSubstr("port 0"));
}

TEST(ChainTest, EveryStepIsTimedInMicroseconds) {
  const auto chain =
      ChainFromYaml(Step("slow", "pass", "sleep_us: 3000") + Step("fast", "resolved"));
  FakeContext context;
  const auto before = std::chrono::steady_clock::now();
  const Resolution r = chain->Resolve(context);
  const auto outside = std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::steady_clock::now() - before)
                           .count();
  ASSERT_EQ(r.trace.size(), 2u);
  // At least the sleep, so not milliseconds; each step timed on its own, and
  // both inside the time the whole call took, so not nanoseconds and not a
  // running total. No upper bound of the wall clock.
  EXPECT_GE(r.trace[0].micros, 3000);
  EXPECT_LE(r.trace[0].micros + r.trace[1].micros, outside);
}

TEST(ChainTest, PluginLogLinesArePrefixedWithTheirName) {
  const auto chain = ChainFromYaml(Step("talker", "pass", "log: true"));
  FakeContext context;
  chain->Resolve(context);
  EXPECT_EQ(context.log_.lines(), std::vector<std::string>{"INFO plugin/talker: resolving"});
}

TEST(ChainTest, DeviceNotFoundStopsTheChain) {
  class MissingDevice : public FakeContext {
   public:
    const Device& device() override { throw DeviceNotFound("ghost"); }
  };
  const auto chain = ChainFromYaml(Step("a", "pass", "needs_device: true") + Step("b", "resolved"));
  MissingDevice context;
  EXPECT_THROW(chain->Resolve(context), DeviceNotFound);
}

TEST(ChainTest, DescribeListsStepsInOrder) {
  const auto chain = ChainFromYaml(Step("first", "pass") + "    - plugin: env\n");
  const auto steps = chain->Describe();
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].name, "first");
  EXPECT_EQ(steps[0].file, std::string(SWITCHBOARD_TEST_PLUGIN_DIR) + "/libscripted.so");
  EXPECT_EQ(steps[1].name, "env");
  EXPECT_EQ(steps[1].file, std::string(SWITCHBOARD_PLUGIN_DIR) + "/libenv.so");
}

TEST(ChainTest, EmptyChainIsAConfigError) {
  Config config;
  config.source_file = "x.yaml";
  config.resolution.chain_mark = {3, 3};
  EXPECT_THROW(BuildChain(config), ConfigError);
}

TEST(ChainTest, OutcomeNames) {
  EXPECT_STREQ(OutcomeName(TraceStep::Outcome::kResolved), "resolved");
  EXPECT_STREQ(OutcomeName(TraceStep::Outcome::kPass), "pass");
  EXPECT_STREQ(OutcomeName(TraceStep::Outcome::kReject), "reject");
  EXPECT_STREQ(OutcomeName(TraceStep::Outcome::kError), "error");
}

}  // namespace
}  // namespace switchboard
