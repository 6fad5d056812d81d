// The column list of mqtt_broker_config lives here and nowhere else.
//
// Values are read with typed into() and indicators rather than soci::row:
// row::get<T> insists on the exact type the backend reports, and SQLite and
// PostgreSQL report INTEGER/BIGINT columns differently.
#include "storage/broker_rows.h"

#include <soci/soci.h>

#include <string>

#include "storage/config_snapshot.h"
#include "storage/session_cache.h"

namespace switchboard {
namespace {

constexpr char kBrokerColumns[] =
    "id, name, description, protocol, host, port, path, username, password, use_tls, ca_cert, "
    "client_cert, client_key, verify_certificate, client_id_prefix, keep_alive, clean_session, "
    "reconnect_period, connect_timeout, is_active, is_default, broker_type, region, weight, "
    "extra_config";

// One fetched row: the values and the NULL indicators of the nullable
// text columns.
struct BrokerRow {
  long long id = 0;
  std::string name, description, protocol, host, path, username, password, ca_cert, client_cert,
      client_key, client_id_prefix, broker_type, region, extra_config;
  soci::indicator description_ind{}, path_ind{}, username_ind{}, password_ind{}, ca_cert_ind{},
      client_cert_ind{}, client_key_ind{}, client_id_prefix_ind{}, region_ind{}, extra_config_ind{};
  int port = 0, use_tls = 0, verify_certificate = 1, keep_alive = 60, clean_session = 1,
      reconnect_period = 1000, connect_timeout = 30000, is_active = 1, is_default = 0, weight = 100;

  // Binds every column, in kBrokerColumns order.
  void Bind(soci::statement& st) {
    st.exchange(soci::into(id));
    st.exchange(soci::into(name));
    st.exchange(soci::into(description, description_ind));
    st.exchange(soci::into(protocol));
    st.exchange(soci::into(host));
    st.exchange(soci::into(port));
    st.exchange(soci::into(path, path_ind));
    st.exchange(soci::into(username, username_ind));
    st.exchange(soci::into(password, password_ind));
    st.exchange(soci::into(use_tls));
    st.exchange(soci::into(ca_cert, ca_cert_ind));
    st.exchange(soci::into(client_cert, client_cert_ind));
    st.exchange(soci::into(client_key, client_key_ind));
    st.exchange(soci::into(verify_certificate));
    st.exchange(soci::into(client_id_prefix, client_id_prefix_ind));
    st.exchange(soci::into(keep_alive));
    st.exchange(soci::into(clean_session));
    st.exchange(soci::into(reconnect_period));
    st.exchange(soci::into(connect_timeout));
    st.exchange(soci::into(is_active));
    st.exchange(soci::into(is_default));
    st.exchange(soci::into(broker_type));
    st.exchange(soci::into(region, region_ind));
    st.exchange(soci::into(weight));
    st.exchange(soci::into(extra_config, extra_config_ind));
  }

  BrokerConfig ToConfig() const {
    // SOCI leaves a NULL column's variable untouched: map NULL to "".
    auto text = [](const std::string& value, soci::indicator ind) {
      return ind == soci::i_ok ? value : std::string();
    };
    BrokerConfig b;
    b.id = id;
    b.name = name;
    b.description = text(description, description_ind);
    b.protocol = protocol;
    b.host = host;
    b.port = port;
    b.path = text(path, path_ind);
    b.username = text(username, username_ind);
    b.password = text(password, password_ind);
    b.use_tls = use_tls != 0;
    b.ca_cert = text(ca_cert, ca_cert_ind);
    b.client_cert = text(client_cert, client_cert_ind);
    b.client_key = text(client_key, client_key_ind);
    b.verify_certificate = verify_certificate != 0;
    b.client_id_prefix = text(client_id_prefix, client_id_prefix_ind);
    b.keep_alive = keep_alive;
    b.clean_session = clean_session != 0;
    b.reconnect_period = reconnect_period;
    b.connect_timeout = connect_timeout;
    b.is_active = is_active != 0;
    b.is_default = is_default != 0;
    b.broker_type = broker_type;
    b.region = text(region, region_ind);
    b.weight = weight;
    b.extra_config = text(extra_config, extra_config_ind);
    b.from_storage = true;
    return b;
  }
};

// Executes a statement bound to `row` and returns every row. Fetching to
// the end also ends the statement's read transaction on SQLite, which a
// statement kept for reuse must do (session_cache.h).
std::vector<BrokerConfig> Collect(soci::statement& st, const BrokerRow& row) {
  std::vector<BrokerConfig> out;
  if (st.execute(true)) {
    do {
      out.push_back(row.ToConfig());
    } while (st.fetch());
  }
  return out;
}

// Runs `SELECT <columns> FROM mqtt_broker_config <tail>` with the given
// bound parameters and returns every row.
template <typename... Params>
std::vector<BrokerConfig> Select(soci::session& sql, const std::string& tail,
                                 const Params&... params) {
  BrokerRow row;
  soci::statement st(sql);
  row.Bind(st);
  (st.exchange(soci::use(params)), ...);
  st.alloc();
  st.prepare(std::string("SELECT ") + kBrokerColumns + " FROM mqtt_broker_config " + tail);
  st.define_and_bind();
  return Collect(st, row);
}

// The same SELECTs prepared once per pooled session (session_cache.h): the
// statement, its row and its parameter live together.
template <typename Param>
struct PreparedBrokerSelect {
  PreparedBrokerSelect(soci::session& sql, const char* tail) : st(sql) {
    row.Bind(st);
    st.exchange(soci::use(param));
    st.alloc();
    st.prepare(std::string("SELECT ") + kBrokerColumns + " FROM mqtt_broker_config " + tail);
    st.define_and_bind();
  }
  BrokerRow row;
  Param param{};
  soci::statement st;
};
struct BrokerByIdSelect : PreparedBrokerSelect<long long> {
  explicit BrokerByIdSelect(soci::session& sql) : PreparedBrokerSelect(sql, "WHERE id = :id") {}
};
struct ActiveInRegionSelect : PreparedBrokerSelect<std::string> {
  explicit ActiveInRegionSelect(soci::session& sql)
      : PreparedBrokerSelect(sql, "WHERE region = :region AND is_active = 1 ORDER BY id") {}
};
struct DefaultBrokerSelect {
  explicit DefaultBrokerSelect(soci::session& sql) : st(sql) {
    row.Bind(st);
    st.alloc();
    st.prepare(std::string("SELECT ") + kBrokerColumns +
               " FROM mqtt_broker_config WHERE is_default = 1 ORDER BY id LIMIT 1");
    st.define_and_bind();
  }
  BrokerRow row;
  soci::statement st;
};
struct FleetSelect {
  explicit FleetSelect(soci::session& sql)
      : st((sql.prepare << "SELECT id, mqtt_broker_id FROM fleets WHERE id = :id",
            soci::into(found_id), soci::into(broker_id, broker_ind), soci::use(id))) {}
  std::string id, found_id;
  long long broker_id = 0;
  soci::indicator broker_ind = soci::i_null;
  soci::statement st;
};

std::optional<FleetRow> ReadFleet(soci::session& sql, FleetSelect& q) {
  std::optional<FleetRow> out;
  if (q.st.execute(true)) {
    out.emplace();
    out->id = q.found_id;
    if (q.broker_ind == soci::i_ok) out->mqtt_broker_id = q.broker_id;
    FinishSingleRow(sql, q.st);
  }
  return out;
}

std::optional<BrokerConfig> First(std::vector<BrokerConfig> rows) {
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

}  // namespace

// Each reader: the statement prepared for this session, else a one-off
// statement (a session the pool does not own).

std::optional<BrokerConfig> LoadBrokerById(soci::session& sql, std::int64_t id) {
  if (SessionCache* cache = SessionCacheFor(sql)) {
    auto& q = cache->Get<BrokerByIdSelect>(sql);
    q.param = id;
    return First(Collect(q.st, q.row));
  }
  const long long key = id;
  return First(Select(sql, "WHERE id = :id", key));
}

std::optional<BrokerConfig> LoadDefaultBroker(soci::session& sql) {
  if (SessionCache* cache = SessionCacheFor(sql)) {
    auto& q = cache->Get<DefaultBrokerSelect>(sql);
    return First(Collect(q.st, q.row));
  }
  return First(Select(sql, "WHERE is_default = 1 ORDER BY id LIMIT 1"));
}

std::vector<BrokerConfig> LoadActiveBrokersInRegion(soci::session& sql, const std::string& region) {
  if (SessionCache* cache = SessionCacheFor(sql)) {
    auto& q = cache->Get<ActiveInRegionSelect>(sql);
    q.param = region;
    return Collect(q.st, q.row);
  }
  return Select(sql, "WHERE region = :region AND is_active = 1 ORDER BY id", region);
}

std::optional<FleetRow> LoadFleet(soci::session& sql, const std::string& id) {
  if (SessionCache* cache = SessionCacheFor(sql)) {
    auto& q = cache->Get<FleetSelect>(sql);
    q.id = id;
    return ReadFleet(sql, q);
  }
  FleetSelect q(sql);
  q.id = id;
  return ReadFleet(sql, q);
}

std::shared_ptr<ConfigSnapshot> LoadConfigSnapshot(soci::session& sql, std::int64_t version) {
  auto snapshot = std::make_shared<ConfigSnapshot>();
  snapshot->version = version;
  BrokerRow row;
  soci::statement st(sql);
  row.Bind(st);
  st.alloc();
  st.prepare(std::string("SELECT ") + kBrokerColumns + " FROM mqtt_broker_config ORDER BY id");
  st.define_and_bind();
  std::vector<std::pair<std::int64_t, bool>> order;  // id, region is not NULL
  if (st.execute(true)) {
    do {
      BrokerConfig broker = row.ToConfig();
      order.emplace_back(broker.id, row.region_ind == soci::i_ok);
      if (broker.is_default && !snapshot->default_id) snapshot->default_id = broker.id;
      snapshot->brokers.emplace(broker.id, std::move(broker));
    } while (st.fetch());
  }
  for (const auto& [id, has_region] : order) {
    const BrokerConfig& broker = snapshot->brokers.at(id);
    if (has_region && broker.is_active) {
      snapshot->active_by_region[broker.region].push_back(&broker);
    }
  }
  std::string fleet_id;
  long long broker_id = 0;
  soci::indicator broker_ind = soci::i_null;
  soci::statement fleets = (sql.prepare << "SELECT id, mqtt_broker_id FROM fleets",
                            soci::into(fleet_id), soci::into(broker_id, broker_ind));
  if (fleets.execute(true)) {
    do {
      FleetRow fleet;
      fleet.id = fleet_id;
      if (broker_ind == soci::i_ok) fleet.mqtt_broker_id = broker_id;
      snapshot->fleets.emplace(fleet_id, std::move(fleet));
    } while (fleets.fetch());
  }
  return snapshot;
}

}  // namespace switchboard
