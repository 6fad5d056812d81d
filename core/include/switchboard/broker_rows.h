// Reading brokers from storage: the one place that knows the columns of
// `mqtt_broker_config` and how they map onto BrokerConfig.
//
// For plugins and the host alike. Each function runs one portable SELECT
// (SQLite and PostgreSQL) on the session it is given, with parameters bound
// through SOCI `use()`. They throw soci::soci_error on a database failure;
// inside Resolve() just let it propagate: the chain records an Error step.
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

// "'name' (id 3)": how messages and trace reasons name a broker. Contains
// no secret.
std::string DescribeBroker(const BrokerConfig& broker);

}  // namespace switchboard
