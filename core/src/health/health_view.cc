#include "health/health_view.h"

namespace switchboard {

const char* HealthStateName(HealthState state) {
  switch (state) {
    case HealthState::kHealthy:
      return "healthy";
    case HealthState::kUnhealthy:
      return "unhealthy";
    case HealthState::kUnknown:
      break;
  }
  return "unknown";
}

const BrokerHealth& HealthSnapshot::Of(std::int64_t broker_id) const {
  static const BrokerHealth kUnknown;
  const auto it = brokers.find(broker_id);
  return it == brokers.end() ? kUnknown : it->second;
}

}  // namespace switchboard
