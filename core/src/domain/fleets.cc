#include "domain/fleets.h"

#include <soci/soci.h>

#include "domain/domain_errors.h"
#include "util/time.h"
#include "storage/sql_errors.h"

namespace switchboard {
namespace {

constexpr char kFleetSelect[] =
    "SELECT f.id, f.name, f.mqtt_broker_id, f.created_at, f.updated_at, "
    "(SELECT COUNT(*) FROM devices d WHERE d.fleet_id = f.id) FROM fleets f ";

// One fetched row and its indicator.
struct FleetRow {
  Fleet fleet;
  long long broker_id = 0;
  soci::indicator broker_ind = soci::i_null;
  long long devices = 0;

  void Bind(soci::statement& st) {
    st.exchange(soci::into(fleet.id));
    st.exchange(soci::into(fleet.name));
    st.exchange(soci::into(broker_id, broker_ind));
    st.exchange(soci::into(fleet.created_at));
    st.exchange(soci::into(fleet.updated_at));
    st.exchange(soci::into(devices));
  }
  Fleet Take() const {
    Fleet out = fleet;
    out.mqtt_broker_id =
        broker_ind == soci::i_ok ? std::optional<std::int64_t>(broker_id) : std::nullopt;
    out.device_count = devices;
    return out;
  }
};

std::vector<Fleet> SelectFleets(soci::session& sql, const std::string& tail,
                                const std::string* id) {
  FleetRow row;
  soci::statement st(sql);
  row.Bind(st);
  if (id != nullptr) st.exchange(soci::use(*id));
  st.alloc();
  st.prepare(kFleetSelect + tail);
  st.define_and_bind();
  std::vector<Fleet> out;
  if (st.execute(true)) {
    do {
      out.push_back(row.Take());
    } while (st.fetch());
  }
  return out;
}

std::optional<Fleet> LoadFleet(soci::session& sql, const std::string& id) {
  auto rows = SelectFleets(sql, "WHERE f.id = :id", &id);
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

void CheckBrokerReference(soci::session& sql, const NullableUpdate<std::int64_t>& broker) {
  if (broker && *broker && !BrokerExists(sql, **broker)) {
    throw ValidationError("mqtt_broker_id", "no broker with id " + std::to_string(**broker));
  }
}

}  // namespace

void ValidateFleetId(const std::string& id, const std::string& field) {
  CheckText(field, id, 1, 128);
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      throw ValidationError(field, field + " may only contain letters, digits, '.', '_' and '-'");
    }
  }
}

bool FleetExists(soci::session& sql, const std::string& id) {
  long long count = 0;
  sql << "SELECT COUNT(*) FROM fleets WHERE id = :id", soci::use(id), soci::into(count);
  return count > 0;
}

bool BrokerExists(soci::session& sql, std::int64_t id) {
  const long long key = id;
  long long count = 0;
  sql << "SELECT COUNT(*) FROM mqtt_broker_config WHERE id = :id", soci::use(key),
      soci::into(count);
  return count > 0;
}

bool EnsureFleetExists(soci::session& sql, const std::string& id, const std::string& now) {
  // ON CONFLICT DO NOTHING (SQLite ≥ 3.24, PostgreSQL ≥ 9.5): two first keys
  // for one new fleet racing on PostgreSQL both succeed.
  soci::statement st = (sql.prepare << "INSERT INTO fleets (id, name, created_at, updated_at) "
                                       "VALUES (:id, :name, :created, :updated) "
                                       "ON CONFLICT (id) DO NOTHING",
                        soci::use(id), soci::use(id), soci::use(now), soci::use(now));
  st.execute(true);
  return st.get_affected_rows() > 0;
}

Fleet Fleets::Create(const FleetInput& input) {
  if (!input.id) throw ValidationError("id", "id is required");
  ValidateFleetId(*input.id, "id");
  const std::string name = input.name.value_or(*input.id);
  CheckText("name", name, 1, 255);
  Storage::Lease lease = storage_.Acquire();
  soci::session& sql = *lease;
  try {
    WriteTransaction tx(storage_, sql);
    if (FleetExists(sql, *input.id)) {
      throw Conflict("a fleet with id '" + *input.id + "' already exists");
    }
    CheckBrokerReference(sql, input.mqtt_broker_id);
    const std::string now = UtcNowIso8601();
    long long broker_id = 0;
    soci::indicator broker_ind = soci::i_null;
    if (input.mqtt_broker_id && *input.mqtt_broker_id) {
      broker_id = **input.mqtt_broker_id;
      broker_ind = soci::i_ok;
    }
    sql << "INSERT INTO fleets (id, name, mqtt_broker_id, created_at, updated_at) "
           "VALUES (:id, :name, :broker, :created, :updated)",
        soci::use(*input.id), soci::use(name), soci::use(broker_id, broker_ind), soci::use(now),
        soci::use(now);
    auto created = LoadFleet(sql, *input.id);
    tx.Commit();
    return *created;
  } catch (const soci::soci_error& e) {
    if (IsUniqueViolation(e)) throw Conflict("a fleet with id '" + *input.id + "' already exists");
    RethrowStorageFailure(sql);
  }
}

Fleet Fleets::Get(const std::string& id) {
  std::optional<Fleet> out;
  ReadWithRetry(storage_, [&](soci::session& sql) { out = LoadFleet(sql, id); });
  if (!out) throw NotFound("no fleet with id '" + id + "'");
  return *out;
}

std::vector<Fleet> Fleets::List() {
  std::vector<Fleet> out;
  ReadWithRetry(storage_,
                [&](soci::session& sql) { out = SelectFleets(sql, "ORDER BY f.id", nullptr); });
  return out;
}

Fleet Fleets::Update(const std::string& id, const FleetInput& input) {
  if (input.id && *input.id != id) {
    throw ValidationError("id", "a fleet's id cannot be changed");
  }
  if (input.name) CheckText("name", *input.name, 1, 255);
  Storage::Lease lease = storage_.Acquire();
  soci::session& sql = *lease;
  try {
    WriteTransaction tx(storage_, sql);
    if (!FleetExists(sql, id)) throw NotFound("no fleet with id '" + id + "'");
    CheckBrokerReference(sql, input.mqtt_broker_id);
    const std::string now = UtcNowIso8601();
    if (input.name) {
      sql << "UPDATE fleets SET name = :name WHERE id = :id", soci::use(*input.name), soci::use(id);
    }
    if (input.mqtt_broker_id) {
      long long broker_id = input.mqtt_broker_id->value_or(0);
      soci::indicator broker_ind = *input.mqtt_broker_id ? soci::i_ok : soci::i_null;
      sql << "UPDATE fleets SET mqtt_broker_id = :broker WHERE id = :id",
          soci::use(broker_id, broker_ind), soci::use(id);
    }
    sql << "UPDATE fleets SET updated_at = :now WHERE id = :id", soci::use(now), soci::use(id);
    auto updated = LoadFleet(sql, id);
    tx.Commit();
    return *updated;
  } catch (const soci::soci_error&) {
    RethrowStorageFailure(sql);
  }
}

std::int64_t Fleets::Delete(const std::string& id) {
  Storage::Lease lease = storage_.Acquire();
  soci::session& sql = *lease;
  try {
    WriteTransaction tx(storage_, sql);
    if (!FleetExists(sql, id)) throw NotFound("no fleet with id '" + id + "'");
    long long devices = 0;
    long long keys = 0;
    sql << "SELECT COUNT(*) FROM devices WHERE fleet_id = :id", soci::use(id), soci::into(devices);
    if (devices > 0) {
      throw Conflict("fleet '" + id + "' still has " + std::to_string(devices) +
                     (devices == 1 ? " device" : " devices") +
                     ": move them to another fleet first");
    }
    sql << "SELECT COUNT(*) FROM provisioning_keys WHERE fleet_id = :id", soci::use(id),
        soci::into(keys);
    sql << "DELETE FROM fleets WHERE id = :id", soci::use(id);  // keys: ON DELETE CASCADE
    tx.Commit();
    return keys;
  } catch (const soci::soci_error&) {
    RethrowStorageFailure(sql);
  }
}

}  // namespace switchboard
