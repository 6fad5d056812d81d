#include "util/work_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "capturing_logger.h"

namespace switchboard {
namespace {

TEST(BoundedWorkPoolTest, RunsJobsOffTheCallingThread) {
  testing::CapturingLogger log;
  BoundedWorkPool pool(2, 8, "test", log);
  std::promise<std::thread::id> ran;
  std::function<void()> job = [&] { ran.set_value(std::this_thread::get_id()); };
  ASSERT_TRUE(pool.TrySubmit(job));
  EXPECT_NE(ran.get_future().get(), std::this_thread::get_id());
}

TEST(BoundedWorkPoolTest, RefusesBeyondTheQueueAndNeverRunsMoreThanItsThreads) {
  testing::CapturingLogger log;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  // Declared before the pool: its destructor runs the queued jobs, which
  // count here.
  std::atomic<int> running{0}, most{0}, done{0}, started{0};
  {
    BoundedWorkPool pool(2, 3, "test", log);
    auto make = [&] {
      return std::function<void()>([&] {
        const int now = ++running;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        ++started;
        released.wait();
        --running;
        ++done;
      });
    };
    // Two run (and block), three wait: the sixth is refused and not run.
    for (int i = 0; i < 2; ++i) {
      auto job = make();
      ASSERT_TRUE(pool.TrySubmit(job));
    }
    while (started.load() < 2) std::this_thread::yield();
    for (int i = 0; i < 3; ++i) {
      auto job = make();
      ASSERT_TRUE(pool.TrySubmit(job));
    }
    EXPECT_EQ(pool.queued(), 3u);
    auto refused = make();
    EXPECT_FALSE(pool.TrySubmit(refused));
    EXPECT_TRUE(static_cast<bool>(refused)) << "a refused job must be left to the caller";
    release.set_value();
  }  // the destructor runs what was queued, then joins
  EXPECT_EQ(done.load(), 5);
  EXPECT_EQ(most.load(), 2);
}

TEST(BoundedWorkPoolTest, AThrowingJobIsLoggedAndThePoolGoesOn) {
  testing::CapturingLogger log;
  std::promise<void> second;
  {
    BoundedWorkPool pool(1, 4, "checks", log);
    std::function<void()> bad = [] { throw std::runtime_error("boom"); };
    std::function<void()> good = [&] { second.set_value(); };
    ASSERT_TRUE(pool.TrySubmit(bad));
    ASSERT_TRUE(pool.TrySubmit(good));
    second.get_future().get();
  }
  EXPECT_TRUE(log.Contains("ERROR checks: a job failed: boom"));
}

TEST(BoundedWorkPoolTest, BadSizesAreRefused) {
  testing::CapturingLogger log;
  EXPECT_THROW(BoundedWorkPool(0, 1, "x", log), std::invalid_argument);
  EXPECT_THROW(BoundedWorkPool(1, 0, "x", log), std::invalid_argument);
}

}  // namespace
}  // namespace switchboard
