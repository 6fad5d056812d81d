// Reading brokers and fleets from storage: the one place that knows the
// columns of `mqtt_broker_config` and how they map onto BrokerConfig.
//
// For the host. Each function runs one portable SELECT (SQLite and
// PostgreSQL) on the session it is given, prepared once per pooled session
// (session_cache.h) or built for the call on any other session, with
// parameters bound through SOCI `use()`; it answers what the database holds
// now and never looks at the snapshot cache. Resolvers read through
// ResolveContext::brokers() instead (StorageBrokerDirectory,
// config_snapshot.h), which answers from the cache when it may and calls
// these otherwise.
//
// Throw soci::soci_error on a database failure. The returned configs have
// `from_storage == true` and carry the server-side secrets (broker.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "switchboard/broker.h"
#include "switchboard/broker_directory.h"

namespace soci {
class session;
}

namespace switchboard {

// The row with this id, active or not; nullopt when there is none.
std::optional<BrokerConfig> LoadBrokerById(soci::session& sql, std::int64_t id);

// The row with `is_default = 1`, active or not (the schema allows at most
// one); nullopt when there is none.
std::optional<BrokerConfig> LoadDefaultBroker(soci::session& sql);

// Every active broker whose `region` equals `region` exactly, ordered by id.
std::vector<BrokerConfig> LoadActiveBrokersInRegion(soci::session& sql, const std::string& region);

// The fleet with this id; nullopt when there is none.
std::optional<FleetRow> LoadFleet(soci::session& sql, const std::string& id);

// `backup_broker_ids` as the column stores it: "3,5", "" for none (which
// the writes store as NULL). ParseIdList skips anything that is not a
// positive decimal id (the writes never store that; an operator's own SQL
// might), so a bad row never stops a resolution.
std::string FormatIdList(const std::vector<std::int64_t>& ids);
std::vector<std::int64_t> ParseIdList(const std::string& text);

}  // namespace switchboard
