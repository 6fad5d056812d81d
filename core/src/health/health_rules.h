// The health state machine: how one probe's outcome moves a broker's state
// and streak counters. Pure functions, thread-safe, no state.
//
//   unknown    (never checked) → the first probe's outcome: healthy when it
//              succeeded, unhealthy when it failed. No threshold applies: a
//              broker that was never seen working is not called healthy
//              after one failure, and one that answers is not held back.
//   healthy    → unhealthy after `unhealthy_threshold` consecutive failures
//   unhealthy  → healthy after `healthy_threshold` consecutive successes
//
// A success resets the failure streak and a failure the success streak, so
// the streaks count the current run only.
#pragma once

#include <string>

#include "health/health_view.h"

namespace switchboard {

struct HealthThresholds {
  int unhealthy_threshold = 3;  // REQUIRES: >= 1
  int healthy_threshold = 2;    // REQUIRES: >= 1
};

struct HealthCounters {
  HealthState state = HealthState::kUnknown;
  int success_streak = 0;
  int failure_streak = 0;
};

// `current` after one probe that succeeded (`ok`) or failed.
HealthCounters ApplyProbeOutcome(const HealthCounters& current, bool ok,
                                 const HealthThresholds& thresholds);

// "healthy" → kHealthy, "unhealthy" → kUnhealthy, anything else kUnknown
// (the column's CHECK allows only those three).
HealthState HealthStateFromName(const std::string& name);

}  // namespace switchboard
