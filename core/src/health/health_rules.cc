#include "health/health_rules.h"

namespace switchboard {

HealthCounters ApplyProbeOutcome(const HealthCounters& current, bool ok,
                                 const HealthThresholds& thresholds) {
  HealthCounters next = current;
  if (ok) {
    next.success_streak = current.success_streak + 1;
    next.failure_streak = 0;
  } else {
    next.failure_streak = current.failure_streak + 1;
    next.success_streak = 0;
  }
  switch (current.state) {
    case HealthState::kUnknown:
      next.state = ok ? HealthState::kHealthy : HealthState::kUnhealthy;
      break;
    case HealthState::kHealthy:
      if (next.failure_streak >= thresholds.unhealthy_threshold) {
        next.state = HealthState::kUnhealthy;
      }
      break;
    case HealthState::kUnhealthy:
      if (next.success_streak >= thresholds.healthy_threshold) next.state = HealthState::kHealthy;
      break;
  }
  return next;
}

HealthState HealthStateFromName(const std::string& name) {
  if (name == "healthy") return HealthState::kHealthy;
  if (name == "unhealthy") return HealthState::kUnhealthy;
  return HealthState::kUnknown;
}

}  // namespace switchboard
