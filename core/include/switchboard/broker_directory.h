// BrokerDirectory: the brokers and fleets a resolver reads, as the host
// holds them for one resolution (ResolveContext::brokers(), resolver.h).
//
// The host implements it over its broker and fleet cache: an answer comes
// from an in-memory snapshot when the host has checked, during this
// resolution, that the snapshot is as new as the database
// (docs/caching.md), and from a prepared SELECT otherwise. Either way it is
// never older than a SELECT run at that moment would answer, and it costs
// no query on the hot path. Prefer it to SQL of your own on
// `mqtt_broker_config` and `fleets`.
//
// Threads and lifetime: one directory serves one resolution on one thread
// and is shared by all its steps; it is not thread-safe. It is valid until
// Resolve() returns; do not keep it, or anything it handed out by
// reference, past that.
//
// Errors: a read throws when storage is unavailable or the database fails
// (soci::soci_error or another std::exception). Inside Resolve() let it
// propagate: the chain records an Error step.
//
// The returned configs are copies with `from_storage == true`, and they
// carry the server-side secrets (broker.h): never log them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "switchboard/broker.h"
#include "switchboard/export.h"

namespace switchboard {

// A broker's health as the host last saw it (its health monitor,
// docs/api.md). kUnknown: never checked, or monitoring is off; treat it
// like healthy, so that with monitoring off nothing changes.
enum class BrokerHealthState { kUnknown, kHealthy, kUnhealthy };

// One row of `fleets`, as resolvers see it.
struct FleetRow {
  std::string id;
  std::optional<std::int64_t> mqtt_broker_id;  // nullopt: the fleet has no broker
};

class SWITCHBOARD_EXPORT BrokerDirectory {
 public:
  virtual ~BrokerDirectory();

  // The broker with this id, active or not; nullopt when there is none.
  virtual std::optional<BrokerConfig> ById(std::int64_t id) = 0;

  // The broker with `is_default = 1`, active or not (the schema allows at
  // most one); nullopt when there is none.
  virtual std::optional<BrokerConfig> Default() = 0;

  // Every active broker whose `region` equals `region` exactly (case
  // included), ordered by id; empty when there is none.
  virtual std::vector<BrokerConfig> ActiveInRegion(const std::string& region) = 0;

  // The fleet with this id; nullopt when there is none.
  virtual std::optional<FleetRow> Fleet(const std::string& id) = 0;

  // The health of the broker with this id, from the host's in-memory view:
  // never a query, never blocks, never throws. The same answer for the
  // whole resolution. kUnknown for an id the host has no health for. The
  // default implementation (for directories written in plugin tests)
  // answers kUnknown.
  virtual BrokerHealthState Health(std::int64_t id);
};

}  // namespace switchboard
