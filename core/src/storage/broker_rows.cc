// The column list of mqtt_broker_config lives here and nowhere else in the
// storage layer (kColumns below).
//
// Values are read with typed into() and indicators rather than soci::row:
// row::get<T> insists on the exact type the backend reports, and SQLite and
// PostgreSQL report INTEGER/BIGINT columns differently.
#include "storage/broker_rows.h"

#include <soci/soci.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <iterator>
#include <string>
#include <string_view>

#include "storage/config_snapshot.h"
#include "storage/session_cache.h"
#include "util/secret_box.h"

namespace switchboard {
namespace {

// One column of mqtt_broker_config and the BrokerConfig member it fills.
struct Column {
  enum class Kind { kId, kText, kNullableText, kInteger, kFlag, kIdList };
  const char* name;
  Kind kind;
  std::string BrokerConfig::*text = nullptr;  // kText, kNullableText (NULL reads as "")
  int BrokerConfig::*integer = nullptr;       // kInteger
  bool BrokerConfig::*flag = nullptr;         // kFlag: 0/1 in the database
  // kIdList: decimal ids, comma-separated, NULL when none (migration 005).
  std::vector<std::int64_t> BrokerConfig::*ids = nullptr;
};

constexpr Column Text(const char* name, std::string BrokerConfig::*member) {
  return {name, Column::Kind::kText, member};
}
constexpr Column NullableText(const char* name, std::string BrokerConfig::*member) {
  return {name, Column::Kind::kNullableText, member};
}
constexpr Column Integer(const char* name, int BrokerConfig::*member) {
  return {name, Column::Kind::kInteger, nullptr, member};
}
constexpr Column Flag(const char* name, bool BrokerConfig::*member) {
  return {name, Column::Kind::kFlag, nullptr, nullptr, member};
}
constexpr Column IdList(const char* name, std::vector<std::int64_t> BrokerConfig::*member) {
  return {name, Column::Kind::kIdList, nullptr, nullptr, nullptr, member};
}

// Every column a BrokerConfig is read from, in SELECT order: the one list
// of this layer. When adding a column, also add it to BrokerConfig
// (switchboard/broker.h), to BrokerInput's field list and PublicBroker
// (domain/brokers.h), to the operator JSON (server/api/routes_brokers.cc)
// and, if devices may see it, to ClientBrokerConfig
// (domain/client_broker_config.h); tests/integration/broker_fields_test.cc
// fails until every layer has it. created_at, updated_at and
// last_connected_at are not here: resolvers never need them (brokers.cc
// reads them for operators).
constexpr Column kColumns[] = {
    {"id", Column::Kind::kId},
    Text("name", &BrokerConfig::name),
    NullableText("description", &BrokerConfig::description),
    Text("protocol", &BrokerConfig::protocol),
    Text("host", &BrokerConfig::host),
    Integer("port", &BrokerConfig::port),
    NullableText("path", &BrokerConfig::path),
    NullableText("username", &BrokerConfig::username),
    NullableText("password", &BrokerConfig::password),
    Flag("use_tls", &BrokerConfig::use_tls),
    NullableText("ca_cert", &BrokerConfig::ca_cert),
    NullableText("client_cert", &BrokerConfig::client_cert),
    NullableText("client_key", &BrokerConfig::client_key),
    Flag("verify_certificate", &BrokerConfig::verify_certificate),
    NullableText("client_id_prefix", &BrokerConfig::client_id_prefix),
    Integer("keep_alive", &BrokerConfig::keep_alive),
    Flag("clean_session", &BrokerConfig::clean_session),
    Integer("reconnect_period", &BrokerConfig::reconnect_period),
    Integer("connect_timeout", &BrokerConfig::connect_timeout),
    Flag("is_active", &BrokerConfig::is_active),
    Flag("is_default", &BrokerConfig::is_default),
    Text("broker_type", &BrokerConfig::broker_type),
    NullableText("region", &BrokerConfig::region),
    Integer("weight", &BrokerConfig::weight),
    NullableText("extra_config", &BrokerConfig::extra_config),
    IdList("backup_broker_ids", &BrokerConfig::backup_broker_ids),
};
constexpr std::size_t kColumnCount = std::size(kColumns);

constexpr std::size_t ColumnIndex(std::string_view name) {
  for (std::size_t i = 0; i < kColumnCount; ++i) {
    if (kColumns[i].name == name) return i;
  }
  return kColumnCount;
}
constexpr std::size_t kRegionColumn = ColumnIndex("region");
static_assert(kRegionColumn < kColumnCount);

// "id, name, …": kColumns joined at compile time, for the SELECTs.
constexpr std::size_t ColumnListSize() {
  std::size_t size = 1;  // the NUL
  for (const Column& column : kColumns) {
    size += std::char_traits<char>::length(column.name) + (size > 1 ? 2 : 0);
  }
  return size;
}
constexpr std::array<char, ColumnListSize()> JoinColumns() {
  std::array<char, ColumnListSize()> out{};
  std::size_t at = 0;
  for (const Column& column : kColumns) {
    if (at > 0) {
      out[at++] = ',';
      out[at++] = ' ';
    }
    for (const char* c = column.name; *c != '\0'; ++c) out[at++] = *c;
  }
  return out;
}
constexpr std::array<char, ColumnListSize()> kColumnList = JoinColumns();
constexpr const char* kBrokerColumns = kColumnList.data();

// One fetched row. Text and integer columns are read straight into
// `config`; the id, the 0/1 flags and the NULL indicators are staged by
// column index.
struct BrokerRow {
  BrokerConfig config;
  long long id = 0;
  std::array<int, kColumnCount> flags{};
  std::array<soci::indicator, kColumnCount> indicators{};
  std::array<std::string, kColumnCount> id_lists;  // kIdList columns, as stored

  // Binds every column, in kColumns order.
  void Bind(soci::statement& st) {
    for (std::size_t i = 0; i < kColumnCount; ++i) {
      const Column& column = kColumns[i];
      switch (column.kind) {
        case Column::Kind::kId:
          st.exchange(soci::into(id));
          break;
        case Column::Kind::kText:
          st.exchange(soci::into(config.*column.text));
          break;
        case Column::Kind::kNullableText:
          st.exchange(soci::into(config.*column.text, indicators[i]));
          break;
        case Column::Kind::kInteger:
          st.exchange(soci::into(config.*column.integer));
          break;
        case Column::Kind::kFlag:
          st.exchange(soci::into(flags[i]));
          break;
        case Column::Kind::kIdList:
          st.exchange(soci::into(id_lists[i], indicators[i]));
          break;
      }
    }
  }

  bool IsNull(std::size_t column) const { return indicators[column] != soci::i_ok; }

  BrokerConfig ToConfig() const {
    BrokerConfig b = config;
    b.id = id;
    for (std::size_t i = 0; i < kColumnCount; ++i) {
      const Column& column = kColumns[i];
      // SOCI leaves a NULL column's variable untouched (it may hold the
      // previous row's value): map NULL to "".
      if (column.kind == Column::Kind::kNullableText && IsNull(i)) (b.*column.text).clear();
      if (column.kind == Column::Kind::kFlag) b.*column.flag = flags[i] != 0;
      if (column.kind == Column::Kind::kIdList) {
        b.*column.ids = IsNull(i) ? std::vector<std::int64_t>() : ParseIdList(id_lists[i]);
      }
    }
    b.from_storage = true;
    return b;
  }
};

// Executes a statement bound to `row` and returns every row. Fetching to
// the end also ends the statement's read transaction on SQLite, which a
// statement kept for reuse must do (session_cache.h).
//
// Sealed secrets (util/secret_box.h) are opened here, once per row read:
// the config fetch reads brokers through the config snapshot, so this runs
// when a row enters that cache, not per request. A value no key opens is
// left sealed: it reaches no client (devices never get these fields), and
// a connection test with it fails instead of leaking anything.
std::vector<BrokerConfig> Collect(soci::session& sql, soci::statement& st, const BrokerRow& row) {
  std::vector<BrokerConfig> out;
  if (st.execute(true)) {
    do {
      out.push_back(row.ToConfig());
    } while (st.fetch());
  }
  const SessionCache* cache = SessionCacheFor(sql);
  const SecretBox* secrets = cache != nullptr ? cache->secrets() : nullptr;
  if (secrets == nullptr) return out;
  for (BrokerConfig& broker : out) {
    for (auto [column, member] : {std::pair{"password", &BrokerConfig::password},
                                  std::pair{"client_key", &BrokerConfig::client_key},
                                  std::pair{"extra_config", &BrokerConfig::extra_config}}) {
      std::string& value = broker.*member;
      if (!SecretBox::IsSealed(value)) continue;
      if (std::optional<std::string> opened = secrets->Open(column, value)) {
        value = std::move(*opened);
      }
    }
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
  return Collect(sql, st, row);
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
    return First(Collect(sql, q.st, q.row));
  }
  const long long key = id;
  return First(Select(sql, "WHERE id = :id", key));
}

std::optional<BrokerConfig> LoadDefaultBroker(soci::session& sql) {
  if (SessionCache* cache = SessionCacheFor(sql)) {
    auto& q = cache->Get<DefaultBrokerSelect>(sql);
    return First(Collect(sql, q.st, q.row));
  }
  return First(Select(sql, "WHERE is_default = 1 ORDER BY id LIMIT 1"));
}

std::vector<BrokerConfig> LoadActiveBrokersInRegion(soci::session& sql, const std::string& region) {
  if (SessionCache* cache = SessionCacheFor(sql)) {
    auto& q = cache->Get<ActiveInRegionSelect>(sql);
    q.param = region;
    return Collect(sql, q.st, q.row);
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

std::string FormatIdList(const std::vector<std::int64_t>& ids) {
  std::string out;
  for (const std::int64_t id : ids) {
    if (!out.empty()) out += ',';
    out += std::to_string(id);
  }
  return out;
}

std::vector<std::int64_t> ParseIdList(const std::string& text) {
  std::vector<std::int64_t> out;
  const char* at = text.data();
  const char* const end = at + text.size();
  while (at < end) {
    const char* comma = std::find(at, end, ',');
    std::int64_t id = 0;
    const auto [stop, error] = std::from_chars(at, comma, id);
    if (error == std::errc() && stop == comma && id > 0) out.push_back(id);
    at = comma == end ? end : comma + 1;
  }
  return out;
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
      order.emplace_back(broker.id, !row.IsNull(kRegionColumn));
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
