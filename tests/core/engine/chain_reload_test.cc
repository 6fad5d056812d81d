// Reload: a new chain swaps in atomically while resolutions run on other
// threads; a broken file keeps the old chain serving.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "engine/chain_reload.h"
#include "engine_testing.h"
#include "test_database.h"
#include "util/log.h"

namespace switchboard {
namespace {

using testing::FakeContext;
using ::testing::HasSubstr;

std::string ConfigResolvingTo(const std::string& host, int sleep_us) {
  return testing::ConfigYamlWithChain(
      "    - plugin: scripted\n      params: {name: a, outcome: pass}\n"
      "    - plugin: scripted\n      params: {name: b, outcome: resolved, host: " +
      host + ", sleep_us: " + std::to_string(sleep_us) + "}\n");
}

class ChainReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() + "/switchboard.yaml";
    testing::WriteFile(path_, ConfigResolvingTo("one.example", 0));
    holder_ = std::make_unique<ChainHolder>(LoadChainFromFile(path_));
  }

  std::string Host() {
    FakeContext context;
    const Resolution r = holder_->Current()->Resolve(context);
    return r.broker ? r.broker->host : "";
  }

  testing::TempDir dir_;
  std::string path_;
  std::unique_ptr<ChainHolder> holder_;
  testing::CapturingLogger log_;
};

TEST_F(ChainReloadTest, SuccessReplacesTheChain) {
  EXPECT_EQ(Host(), "one.example");
  testing::WriteFile(path_, ConfigResolvingTo("two.example", 0));
  const ReloadResult result = ReloadChain(*holder_, path_, log_);
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.chain, holder_->Current());
  EXPECT_EQ(Host(), "two.example");
  EXPECT_THAT(log_.lines().back(), HasSubstr("INFO chain reloaded from " + path_ + ": a -> b"));
}

TEST_F(ChainReloadTest, FailureKeepsTheOldChainAndSaysWhy) {
  const auto before = holder_->Current();
  testing::WriteFile(path_, testing::ConfigYamlWithChain("    - plugin: nosuch\n"));
  const ReloadResult result = ReloadChain(*holder_, path_, log_);
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr(path_ + ":4:7: plugin/nosuch: plugin 'nosuch' not found"));
  EXPECT_EQ(result.chain, before);
  EXPECT_EQ(holder_->Current(), before);
  EXPECT_EQ(Host(), "one.example");
  EXPECT_THAT(log_.lines().back(), HasSubstr("ERROR chain reload failed"));

  testing::WriteFile(path_, "resolution: [not, a, map\n");
  EXPECT_FALSE(ReloadChain(*holder_, path_, log_).ok);
  EXPECT_FALSE(ReloadChain(*holder_, dir_.path() + "/absent.yaml", log_).ok);
  EXPECT_EQ(Host(), "one.example");
}

TEST_F(ChainReloadTest, AnEmptiedFileOrADirectoryNeverResetsTheChain) {
  const auto before = holder_->Current();
  for (const char* text : {"", "\n\n", "# nothing but a comment\n"}) {
    testing::WriteFile(path_, text);
    const ReloadResult result = ReloadChain(*holder_, path_, log_);
    EXPECT_FALSE(result.ok) << "'" << text << "'";
    EXPECT_THAT(result.error, HasSubstr(path_ + ": the configuration file is empty"));
    EXPECT_EQ(holder_->Current(), before);
  }
  const ReloadResult directory = ReloadChain(*holder_, dir_.path(), log_);
  EXPECT_FALSE(directory.ok);
  EXPECT_THAT(directory.error, HasSubstr(dir_.path() + ": is a directory"));
  EXPECT_EQ(Host(), "one.example");
}

TEST_F(ChainReloadTest, InFlightResolutionFinishesOnTheOldChain) {
  testing::WriteFile(path_, ConfigResolvingTo("slow.example", 200'000));
  ASSERT_TRUE(ReloadChain(*holder_, path_, log_).ok);
  std::string in_flight_host;
  std::thread resolver([&] { in_flight_host = Host(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // inside the 200 ms step
  testing::WriteFile(path_, ConfigResolvingTo("new.example", 0));
  ASSERT_TRUE(ReloadChain(*holder_, path_, log_).ok);  // drops the holder's reference
  resolver.join();
  EXPECT_EQ(in_flight_host, "slow.example");
  EXPECT_EQ(Host(), "new.example");
}

TEST_F(ChainReloadTest, ReloadUnderConcurrentResolutions) {
  const std::string path_a = dir_.path() + "/a.yaml";
  const std::string path_b = dir_.path() + "/b.yaml";
  const std::string path_bad = dir_.path() + "/bad.yaml";
  testing::WriteFile(path_a, ConfigResolvingTo("a.example", 50));
  testing::WriteFile(path_b, ConfigResolvingTo("b.example", 50));
  testing::WriteFile(path_bad,
                     testing::ConfigYamlWithChain("    - plugin: env\n      params: {x: 1}\n"));

  std::atomic<bool> stop{false};
  std::atomic<int> resolutions{0};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        const std::string host = Host();
        if (host != "one.example" && host != "a.example" && host != "b.example") ++wrong;
        ++resolutions;
      }
    });
  }
  NullLogger quiet;
  for (int i = 0; i < 40; ++i) {
    const bool bad = i % 3 == 2;
    const std::string& path = bad ? path_bad : (i % 2 == 0 ? path_a : path_b);
    const ReloadResult result = ReloadChain(*holder_, path, quiet);
    EXPECT_EQ(result.ok, !bad) << result.error;
  }
  ASSERT_TRUE(ReloadChain(*holder_, path_b, quiet).ok);
  stop = true;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(resolutions.load(), 40);
  EXPECT_EQ(Host(), "b.example");
}

}  // namespace
}  // namespace switchboard
