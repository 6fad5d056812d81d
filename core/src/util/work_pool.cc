#include "util/work_pool.h"

#include <stdexcept>

namespace switchboard {

BoundedWorkPool::BoundedWorkPool(int threads, std::size_t max_queued, std::string name, Logger& log)
    : max_queued_(max_queued), name_(std::move(name)), log_(log) {
  if (threads < 1 || max_queued < 1) {
    throw std::invalid_argument("BoundedWorkPool needs at least one thread and one queue slot");
  }
  threads_.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

BoundedWorkPool::~BoundedWorkPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

bool BoundedWorkPool::TrySubmit(std::function<void()>& job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || jobs_.size() >= max_queued_) return false;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

std::size_t BoundedWorkPool::queued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return jobs_.size();
}

void BoundedWorkPool::Run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      // Queued jobs still run when stopping: each one owes somebody an answer.
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job();
    } catch (const std::exception& e) {
      log_.Error(name_ + ": a job failed: " + e.what());
    } catch (...) {
      log_.Error(name_ + ": a job failed with a non-standard exception");
    }
  }
}

}  // namespace switchboard
