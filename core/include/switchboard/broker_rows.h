// Reading brokers (and fleets' brokers) from storage: the one place that
// knows the columns of `mqtt_broker_config` and how they map onto
// BrokerConfig.
//
// For plugins and the host alike. Each function answers what one portable
// SELECT (SQLite and PostgreSQL) on the session it is given answers now,
// with parameters bound through SOCI `use()`. They throw soci::soci_error on
// a database failure; inside Resolve() just let it propagate: the chain
// records an Error step.
//
// Inside Resolve(), on the session of the context, the host may answer from
// its broker and fleet cache instead of running the SELECT. The cache is
// checked against the database's change counter during the resolution
// (docs/caching.md), so the answer is never older than the SELECT's would
// be. Prefer these functions to your own SQL on these two tables: they are
// the fast path.
//
// The returned configs have `from_storage == true` and carry the server-side
// secrets (see broker.h): never log them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "switchboard/broker.h"

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

// One row of `fleets`, as resolvers see it.
struct FleetRow {
  std::string id;
  std::optional<std::int64_t> mqtt_broker_id;  // nullopt: the fleet has no broker
};

// The fleet with this id; nullopt when there is none.
std::optional<FleetRow> LoadFleet(soci::session& sql, const std::string& id);

// "'name' (id 3)": how messages and trace reasons name a broker. Contains
// no secret.
std::string DescribeBroker(const BrokerConfig& broker);

}  // namespace switchboard
