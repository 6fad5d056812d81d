// HealthView: the brokers' health as this instance last read it, for the
// code that must consult it on every config fetch (the endpoint list and
// the broker directory's health answers) without touching storage.
//
// The health monitor (health/health_monitor.h) writes each probe's outcome
// to storage, so every instance agrees, and keeps an in-memory snapshot that
// it refreshes from storage at least once per probe interval; Current()
// hands out that snapshot. A broker the snapshot does not list is
// `kUnknown` (never checked, or health monitoring is disabled), which the
// endpoint list treats like healthy: with monitoring off, behaviour is
// exactly as without it.
//
// Thread safety: Current() is safe from any thread and never blocks on
// storage; a HealthSnapshot is immutable and may be kept as long as needed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

namespace switchboard {

enum class HealthState { kUnknown, kHealthy, kUnhealthy };

// "unknown" | "healthy" | "unhealthy": the API's and the metrics' spelling.
const char* HealthStateName(HealthState state);

// One broker's health, as stored. Timestamps as every timestamp column
// stores them (util/time.h); empty when not yet known.
struct BrokerHealth {
  HealthState state = HealthState::kUnknown;
  std::string since;                       // when `state` was entered
  std::string last_checked_at;             // the last probe's end
  std::string last_ok_at;                  // the last successful probe's end
  std::optional<std::int64_t> latency_ms;  // the last successful probe's
  std::string last_error;                  // the last failed probe's reason; never a secret
};

struct HealthSnapshot {
  std::unordered_map<std::int64_t, BrokerHealth> brokers;  // by broker id

  // The broker's health; a default (kUnknown) BrokerHealth when unlisted.
  const BrokerHealth& Of(std::int64_t broker_id) const;
};

class HealthView {
 public:
  virtual ~HealthView() = default;
  // Never null.
  virtual std::shared_ptr<const HealthSnapshot> Current() const = 0;
};

}  // namespace switchboard
