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
// Pure over its arguments except for the directory's reads (in-memory on the
// hot path: config_snapshot.h). Not thread-safe per resolution, like the
// directory it reads.
#pragma once

#include <cstddef>

#include "engine/chain.h"
#include "health/health_view.h"
#include "switchboard/broker_directory.h"

namespace switchboard {

inline constexpr std::size_t kMaxEndpoints = 16;

// Fills `resolution.endpoints` from a resolution that resolved (does
// nothing otherwise) and appends the `health` trace step when there is one.
// Moves the alternates out of `resolution`; `broker` stays the chain's
// answer (endpoints[0] is what the device gets). Throws what the
// directory's reads throw.
void AddEndpoints(Resolution& resolution, BrokerDirectory& directory, const HealthSnapshot& health);

}  // namespace switchboard
