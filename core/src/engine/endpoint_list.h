// The device's endpoint list: which brokers it is handed, in which order,
// after the chain resolved (docs/api.md, "Failover", says what devices see).
//
// Built from the resolution, in this order, each broker once (by id; an env
// broker, id 0, has no backups and is never a duplicate of a stored one):
//   1. the resolved broker;
//   2. the resolving step's alternates (Decision::alternates), inactive
//      ones dropped;
//   3. the backups (`backup_broker_ids`) of every endpoint listed so far,
//      in list order, and then theirs: backups of backups are flattened
//      once, so a cycle is harmless. An id that names no broker or an
//      inactive one is dropped.
// At most kMaxEndpoints endpoints; the rest are dropped.
//
// Then health: endpoints known to be unhealthy move behind the others,
// each group keeping its order (unknown counts as healthy, so with
// monitoring off the order is the one above). When that puts another broker
// first, the trace ends with a `health` step, outcome "failover": "broker
// 'a' (id 1) unhealthy since <time>: handing out 'b' (id 2)". When every
// endpoint is unhealthy the order above stands and the step's outcome is
// "panic". Never an empty list: the resolved broker is always in it.
//
// Two forms of the same list (one algorithm, the same order and trace step):
// AddEndpoints copies each broker into Resolution::endpoints (explain, the
// MQTT auth, the export, registration); ListEndpoints only points at them,
// for the config fetch, which reads each backup from the config snapshot
// without copying it (domain/failover_entries.h holds its cached JSON).
//
// Pure over its arguments except for the directory's reads (in-memory on the
// hot path: config_snapshot.h). Not thread-safe per resolution, like the
// directory it reads.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "engine/chain.h"
#include "health/health_view.h"
#include "storage/config_snapshot.h"
#include "switchboard/broker_directory.h"

namespace switchboard {

inline constexpr std::size_t kMaxEndpoints = 16;

// Fills `resolution.endpoints` from a resolution that resolved (does
// nothing otherwise) and appends the `health` trace step when there is one.
// Moves the alternates out of `resolution`; `broker` stays the chain's
// answer (endpoints[0] is what the device gets). Throws what the
// directory's reads throw.
void AddEndpoints(Resolution& resolution, BrokerDirectory& directory, const HealthSnapshot& health);

// One endpoint of ListEndpoints: exactly one of `own` and `row` is set.
struct EndpointRef {
  // The resolution's broker or one of its alternates, or a backup read
  // without a snapshot (EndpointRefs::read): the caller may move from it.
  BrokerConfig* own = nullptr;
  // A backup: a row of EndpointRefs::snapshot, shared, never copied.
  const BrokerConfig* row = nullptr;
  HealthState health = HealthState::kUnknown;

  const BrokerConfig& broker() const { return own != nullptr ? *own : *row; }
};

// The list of AddEndpoints by reference. Move-only. Its pointers stay valid
// while this object lives and the Resolution it was built from is neither
// destroyed nor changed (its `broker` and `alternates` are pointed at); the
// snapshot's rows stay valid as long as `snapshot` is held, even after the
// resolution's directory is gone.
struct EndpointRefs {
  std::vector<EndpointRef> list;  // in the order AddEndpoints gives; empty iff nothing resolved
  // The snapshot the backups were read from; null when the list has no
  // backup or the directory reads storage directly.
  std::shared_ptr<const ConfigSnapshot> snapshot;
  std::vector<std::unique_ptr<BrokerConfig>> read;  // backups read without a snapshot
};

// AddEndpoints for the config fetch: the same list and the same `health`
// trace step, but `resolution.endpoints` stays empty, the alternates stay in
// `resolution`, and each backup is read from the resolution's config
// snapshot (StorageBrokerDirectory::SharedSnapshot) without a copy, or from
// the directory when it has none. Throws what the directory's reads throw.
EndpointRefs ListEndpoints(Resolution& resolution, StorageBrokerDirectory& directory,
                           const HealthSnapshot& health);

}  // namespace switchboard
