// Delays between connection attempts and between refreshes, per the
// `reconnect` policy of docs/api.md (initialDelayMs, maxDelayMs, jitter).
// Pure functions of their inputs; the random draw is passed in so the
// bounds can be tested exactly.
#pragma once

#include <chrono>
#include <random>

#include "device_config.h"

namespace switchboard::agent {

// The delay before retry number `failures` (0 = the first retry after the
// first failure): base = min(maxDelayMs, initialDelayMs · 2^failures), then
// jittered to base · (1 - jitter + 2 · jitter · unit) and capped at
// maxDelayMs. `unit` is a draw from [0, 1). So every delay lies in
// [base · (1 - jitter), min(maxDelayMs, base · (1 + jitter))].
std::chrono::milliseconds BackoffDelay(const ReconnectPolicy& policy, int failures, double unit);

// `period` spread by ± `fraction` (0..1): period · (1 - fraction + 2 · fraction · unit),
// at least 1 ms. For the refresh interval, so a fleet does not poll in step.
std::chrono::milliseconds Jittered(std::chrono::milliseconds period, double fraction, double unit);

// Uniform draws from [0, 1), seeded from std::random_device. Not
// thread-safe: one per thread.
class UnitRandom {
 public:
  UnitRandom();
  double operator()();

 private:
  std::mt19937_64 engine_;
  std::uniform_real_distribution<double> distribution_{0.0, 1.0};
};

}  // namespace switchboard::agent
