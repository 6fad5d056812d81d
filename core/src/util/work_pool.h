// BoundedWorkPool: a fixed set of threads running jobs from a bounded queue.
//
// For CPU work that must not run on the HTTP worker threads (a `$7$` hash
// check, mqtt_auth.h): at most `threads` jobs run at once, at most
// `max_queued` wait, and a job beyond that is refused at once instead of
// queueing without bound (the caller answers 503).
//
// Thread-safe. Jobs run on the pool's threads in submission order; a job
// must not throw (anything it throws is logged and dropped). The destructor
// refuses new jobs, runs the jobs already queued, and joins the threads:
// destroy the pool before whatever its jobs use.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "switchboard/logger.h"

namespace switchboard {

class BoundedWorkPool {
 public:
  // REQUIRES: threads >= 1, max_queued >= 1 (std::invalid_argument
  // otherwise). `log` must outlive the pool; `name` prefixes its lines.
  BoundedWorkPool(int threads, std::size_t max_queued, std::string name, Logger& log);
  ~BoundedWorkPool();
  BoundedWorkPool(const BoundedWorkPool&) = delete;
  BoundedWorkPool& operator=(const BoundedWorkPool&) = delete;

  // Queues `job`. False, and `job` is left untouched (not run), when
  // max_queued jobs are already waiting or the pool is being destroyed.
  bool TrySubmit(std::function<void()>& job);

  // Jobs waiting for a thread now (not those running).
  std::size_t queued() const;

 private:
  void Run();

  const std::size_t max_queued_;
  const std::string name_;
  Logger& log_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace switchboard
