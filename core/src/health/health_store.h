// HealthStore: the monitor's tables (`broker_health`, `broker_health_checks`,
// migrations/*/004_broker_health.sql) and the claim protocol that lets many
// instances on one database probe each broker once per interval in total.
//
// The claim protocol. Every active broker has a row with `next_check_at`.
// An instance claims a due broker by writing its own name and an expiry into
// `lease_owner` / `lease_expires_at`, only where no unexpired lease is held
// (PostgreSQL: the candidates are read `FOR UPDATE SKIP LOCKED`, so two
// instances claiming at once take different rows without waiting; SQLite:
// the claim runs in one BEGIN IMMEDIATE transaction). Recording the outcome
// clears the lease and moves `next_check_at` one interval on. An instance
// that dies holding a lease blocks that broker only until the lease
// expires; then any instance claims it. A result recorded after the lease
// was taken over by another instance is dropped, so a broker is never
// counted twice for one interval.
//
// Times are passed in (as util/time.h text), never read from a clock here:
// the instances' clocks must agree to well within one interval (NTP).
//
// Thread-safe: every call leases its own session. Throws StorageUnavailable
// when the database cannot serve, soci::soci_error on other failures.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "health/health_rules.h"
#include "health/health_view.h"
#include "storage/storage.h"

namespace switchboard {

// The checks kept per broker; older ones are deleted as new ones arrive.
inline constexpr int kHealthChecksKept = 50;

// One probe's outcome as stored.
struct HealthCheck {
  std::string checked_at;  // the probe's end
  bool ok = false;
  std::string stage;  // probe/broker_probe.h: "mqtt" when ok, else the failed stage
  std::int64_t latency_ms = 0;
  std::string error;  // empty when ok; never a secret (the probe's message)
  std::string checked_by;
};

// A broker's stored health and its name (for logs and metric labels).
struct NamedBrokerHealth {
  std::int64_t broker_id = 0;
  std::string name;
  BrokerHealth health;
  std::string checked_by;  // the instance of the last probe; empty before one
};

// What Record() changed.
struct RecordedProbe {
  HealthState before = HealthState::kUnknown;
  HealthCounters after;
  std::string broker_name;
  BrokerHealth health;  // the row as written
};

class HealthStore {
 public:
  // `instance` names this process in `lease_owner` and `checked_by`
  // (HealthInstanceName()). `storage` must outlive this object.
  HealthStore(Storage& storage, std::string instance);

  const std::string& instance() const { return instance_; }

  // The brokers probed are the active ones whose protocol is not ws/wss
  // (the probe has no WebSocket transport: those stay unknown).

  // Adds a row, due at `now`, for every probed broker that has none.
  void AddMissingRows(const std::string& now);

  // Claims at most `limit` probed brokers due at `now` (`next_check_at <=
  // now`) whose lease is free or expired, the longest-due first, leasing
  // each to this instance until `lease_until`. Returns their ids.
  std::vector<std::int64_t> ClaimDue(const std::string& now, const std::string& lease_until,
                                     int limit);

  // Records one probe of a broker this instance claimed: applies the
  // outcome to the state (health_rules.h), stores the check, keeps the last
  // kHealthChecksKept checks, frees the lease and sets `next_check_at`.
  // nullopt, and nothing written, when the lease is no longer this
  // instance's (it expired and another instance claimed the broker) or the
  // broker was deleted.
  std::optional<RecordedProbe> Record(std::int64_t broker_id, const HealthCheck& check,
                                      const HealthThresholds& thresholds,
                                      const std::string& next_check_at);

  // The stored health of every probed broker that has a row.
  std::vector<NamedBrokerHealth> LoadActive();

  // One broker's stored health (nullopt: no row yet) and its newest checks,
  // newest first.
  std::optional<NamedBrokerHealth> Load(std::int64_t broker_id);
  std::vector<HealthCheck> RecentChecks(std::int64_t broker_id, int limit = kHealthChecksKept);

 private:
  Storage& storage_;
  const std::string instance_;
};

// `<host name>/<pid>/<4 random characters>`: unique per process, readable
// in `checked_by`.
std::string HealthInstanceName();

}  // namespace switchboard
