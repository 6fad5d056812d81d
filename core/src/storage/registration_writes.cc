#include "storage/registration_writes.h"

#include <libpq-fe.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <soci/soci.h>

#include <sys/socket.h>

#include <algorithm>
#include <string_view>

#include "storage/config_snapshot.h"
#include "storage/libpq.h"
#include "storage/pg_result.h"
#include "storage/session_cache.h"
#include "storage/storage.h"
#include "switchboard/logger.h"

namespace switchboard {
namespace {

// A nullable column bound by reference: the value and its indicator.
struct NullableText {
  void Set(const std::optional<std::string>& v) {
    value = v.value_or("");
    indicator = v && !v->empty() ? soci::i_ok : soci::i_null;
  }
  std::string value;
  soci::indicator indicator = soci::i_null;
};

// The device columns both dialects insert, in the order of kDeviceValues.
struct DeviceColumns {
  void Set(const NewDeviceRows& rows) {
    uuid = rows.uuid;
    name = rows.device_name;
    type = rows.device_type;
    fleet = rows.fleet_id;
    region.Set(rows.region);
    hash = rows.api_key_hash;
    key_id = rows.provisioned_by_key_id;
    mac.Set(rows.mac_address);
    os.Set(rows.os_version);
    agent.Set(rows.agent_version);
    now = rows.now;
  }
  // Binds every column, in kDeviceValues order.
  void Use(soci::statement& st) {
    for (std::string* text : {&uuid, &name, &type, &fleet}) st.exchange(soci::use(*text));
    st.exchange(soci::use(region.value, region.indicator));
    st.exchange(soci::use(hash));
    st.exchange(soci::use(key_id));
    for (NullableText* text : {&mac, &os, &agent}) {
      st.exchange(soci::use(text->value, text->indicator));
    }
    st.exchange(soci::use(now));
    st.exchange(soci::use(now));
  }
  std::string uuid, name, type, fleet, hash, now;
  NullableText region, mac, os, agent;
  long long key_id = 0;
};

constexpr char kDeviceInsert[] =
    "INSERT INTO devices (uuid, device_name, device_type, fleet_id, region, api_key_hash, "
    "provisioned_by_key_id, mac_address, os_version, agent_version, created_at, updated_at) "
    "VALUES (:uuid, :name, :type, :fleet, :region, :hash, :key, :mac, :os, :agent, :created, "
    ":updated) ON CONFLICT (uuid) DO NOTHING RETURNING id";

constexpr char kUserUpsertConflict[] =
    " ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, "
    "device_id = excluded.device_id, updated_at = excluded.updated_at";

// SQLite: the device insert alone (then UpsertDeviceAccess). Statements
// are in-process there: one per row costs nothing worth merging.
struct InsertDeviceStatement {
  explicit InsertDeviceStatement(soci::session& sql) : st(sql) {
    columns.Use(st);
    st.exchange(soci::into(id));
    st.alloc();
    st.prepare(kDeviceInsert);
    st.define_and_bind();
  }
  DeviceColumns columns;
  long long id = 0;
  soci::statement st;
};

// PostgreSQL: the device, its user and its ACL rows in one round trip
// instead of four or five. Each data-modifying CTE selects from `device`, so
// nothing but the device insert's conflict check runs when the uuid is
// taken; the foreign keys (mqtt_users → devices, mqtt_acls → mqtt_users)
// are checked at the end of the statement, when every row is there. The
// ACL rows come as one JSON array (their number follows the configured
// topics). config_version is read in the same statement for the chain that
// runs next (config_snapshot.h).
struct InsertDeviceWithAccessStatement {
  explicit InsertDeviceWithAccessStatement(soci::session& sql) : st(sql) {
    columns.Use(st);
    st.exchange(soci::use(username));
    st.exchange(soci::use(password_hash));
    st.exchange(soci::use(columns.now));
    st.exchange(soci::use(columns.now));
    st.exchange(soci::use(username));
    st.exchange(soci::use(acls_json));
    st.exchange(soci::into(id));
    st.exchange(soci::into(version, version_ind));
    st.alloc();
    st.prepare(std::string("WITH device AS (") + kDeviceInsert +
               "), mqtt_user AS (INSERT INTO mqtt_users (username, password_hash, device_id, "
               "created_at, updated_at) SELECT :username, :password_hash, id, :user_created, "
               ":user_updated "
               "FROM device" +
               kUserUpsertConflict +
               "), acl AS (INSERT INTO mqtt_acls (username, topic, access) SELECT :acl_username, "
               "a.topic, a.access FROM device, json_to_recordset(CAST(:acls AS json)) AS "
               "a(topic text, access text) ON CONFLICT DO NOTHING) "
               "SELECT id, " +
               kConfigVersionColumn + " FROM device");
    st.define_and_bind();
  }
  DeviceColumns columns;
  std::string username, password_hash, acls_json;
  long long id = 0, version = 0;
  soci::indicator version_ind = soci::i_null;
  soci::statement st;
};

struct UpsertMqttUserStatement {
  explicit UpsertMqttUserStatement(soci::session& sql)
      : st((sql.prepare << std::string("INSERT INTO mqtt_users (username, password_hash, "
                                       "device_id, created_at, updated_at) VALUES (:username, "
                                       ":hash, :device, :created, :updated)") +
                               kUserUpsertConflict,
            soci::use(username), soci::use(password_hash), soci::use(device_id), soci::use(now),
            soci::use(now))) {}
  std::string username, password_hash, now;
  long long device_id = 0;
  soci::statement st;
};

// Executed once per row; rows already present (a retry) are kept.
struct InsertAclStatement {
  explicit InsertAclStatement(soci::session& sql)
      : st((sql.prepare << "INSERT INTO mqtt_acls (username, topic, access) "
                           "VALUES (:username, :topic, :access) ON CONFLICT DO NOTHING",
            soci::use(username), soci::use(topic), soci::use(access))) {}
  std::string username, topic, access;
  soci::statement st;
};

struct CountAgainstKeyStatement {
  explicit CountAgainstKeyStatement(soci::session& sql)
      : st((sql.prepare << "UPDATE provisioning_keys SET devices_provisioned = "
                           "devices_provisioned + 1, last_used_at = :now WHERE id = :id AND "
                           "is_active = 1 AND (expires_at IS NULL OR expires_at > :now2) AND "
                           "(max_devices IS NULL OR devices_provisioned < max_devices)",
            soci::use(now), soci::use(key_id), soci::use(now))) {}
  std::string now;
  long long key_id = 0;
  soci::statement st;
};

// [{"topic":…,"access":…},…]: RapidJSON escapes whatever a topic holds.
std::string AclsJson(const std::vector<AclRow>& acls) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartArray();
  for (const AclRow& row : acls) {
    writer.StartObject();
    writer.Key("topic");
    writer.String(row.topic.data(), static_cast<rapidjson::SizeType>(row.topic.size()));
    writer.Key("access");
    writer.String(row.access.data(), static_cast<rapidjson::SizeType>(row.access.size()));
    writer.EndObject();
  }
  writer.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

std::vector<AclRow> AclRows(const std::vector<std::string>& publish,
                            const std::vector<std::string>& subscribe) {
  auto contains = [](const std::vector<std::string>& list, const std::string& topic) {
    return std::find(list.begin(), list.end(), topic) != list.end();
  };
  std::vector<AclRow> rows;
  for (const auto& topic : publish) {
    rows.push_back({topic, contains(subscribe, topic) ? "readwrite" : "write"});
  }
  for (const auto& topic : subscribe) {
    if (!contains(publish, topic)) rows.push_back({topic, "read"});
  }
  return rows;
}

std::optional<long long> InsertDeviceWithAccess(soci::session& sql, const NewDeviceRows& rows,
                                                std::optional<std::int64_t>* config_version) {
  if (IsPostgresql(sql)) {
    std::optional<InsertDeviceWithAccessStatement> local;
    auto& q = CachedStatement(sql, local);
    q.columns.Set(rows);
    q.username = rows.username;
    q.password_hash = rows.password_hash;
    q.acls_json = AclsJson(rows.acls);
    if (!q.st.execute(true)) return std::nullopt;
    if (q.version_ind == soci::i_ok && config_version != nullptr) *config_version = q.version;
    return q.id;
  }
  std::optional<InsertDeviceStatement> local;
  auto& q = CachedStatement(sql, local);
  q.columns.Set(rows);
  const bool inserted = q.st.execute(true);
  const long long id = q.id;
  // Reset before anything else: SQLite refuses to COMMIT while a RETURNING
  // statement is still open (the insert itself is done at its first step).
  FinishSingleRow(sql, q.st);
  if (!inserted) return std::nullopt;
  UpsertDeviceAccess(sql, id, rows);
  return id;
}

void UpsertDeviceAccess(soci::session& sql, long long device_id, const NewDeviceRows& rows) {
  std::optional<UpsertMqttUserStatement> local_user;
  auto& user = CachedStatement(sql, local_user);
  user.username = rows.username;
  user.password_hash = rows.password_hash;
  user.device_id = device_id;
  user.now = rows.now;
  user.st.execute(true);

  std::optional<InsertAclStatement> local_acl;
  auto& acl = CachedStatement(sql, local_acl);
  acl.username = rows.username;
  for (const AclRow& row : rows.acls) {
    acl.topic = row.topic;
    acl.access = row.access;
    acl.st.execute(true);
  }
}

namespace {

bool CountAgainstKey(soci::session& sql, long long key_id, const std::string& now) {
  std::optional<CountAgainstKeyStatement> local;
  auto& q = CachedStatement(sql, local);
  q.now = now;
  q.key_id = key_id;
  q.st.execute(true);
  return q.st.get_affected_rows() == 1;
}

// The PostgreSQL count, prepared once per pooled connection with libpq (it
// runs in pipeline mode, which SOCI does not know). The limits are not in a
// WHERE clause: a refusal must fail the statement, so that the COMMIT sent
// behind it is skipped. Exhausted: the table's CHECK (devices_provisioned <=
// max_devices) fails. Revoked or expired: the increment is NULL and NOT NULL
// fails. The row cannot be missing: the device insert earlier in this
// transaction holds a key-share lock on it (its foreign key).
struct CountAgainstKeyPrepared {
  static constexpr char kName[] = "switchboard_count_against_key";
  explicit CountAgainstKeyPrepared(soci::session& sql) {
    const PgResult prepared(PQprepare(
        PostgresConnection(sql), kName,
        "UPDATE provisioning_keys SET devices_provisioned = devices_provisioned + CASE WHEN "
        "is_active = 1 AND (expires_at IS NULL OR expires_at > $2) THEN 1 END, "
        "last_used_at = $2 WHERE id = $1",
        2, nullptr));
    if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK)
      throw soci::soci_error("cannot prepare the provisioning key count");
  }
};

bool IsRefusal(const PGresult* result) {
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  return state != nullptr &&
         (std::string_view(state) == "23514" || std::string_view(state) == "23502");
}

// UPDATE, COMMIT and a sync in one flush; then their results in order.
bool PipelinedCountAndCommit(soci::session& sql, WriteTransaction& tx, long long key_id,
                             const std::string& now) {
  pg_conn* connection = PostgresConnection(sql);
  const std::string id = std::to_string(key_id);
  const char* values[] = {id.c_str(), now.c_str()};
  const bool sent =
      PQenterPipelineMode(connection) == 1 &&
      PQsendQueryPrepared(connection, CountAgainstKeyPrepared::kName, 2, values, nullptr, nullptr,
                          0) == 1 &&
      PQsendQueryParams(connection, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1 &&
      PQpipelineSync(connection) == 1;
  bool counted = false, refused = false, committed = false, commit_failed = false;
  bool in_step = sent;
  if (in_step) {
    PgResult update(PQgetResult(connection));
    counted = update.get() != nullptr && PQresultStatus(update.get()) == PGRES_COMMAND_OK &&
              std::string_view(PQcmdTuples(update.get())) == "1";
    refused = update.get() != nullptr && PQresultStatus(update.get()) == PGRES_FATAL_ERROR &&
              IsRefusal(update.get());
    in_step = update.get() != nullptr && PgResult(PQgetResult(connection)) == nullptr;
  }
  if (in_step) {
    PgResult commit(PQgetResult(connection));
    committed = commit.get() != nullptr && PQresultStatus(commit.get()) == PGRES_COMMAND_OK;
    commit_failed = commit.get() != nullptr && PQresultStatus(commit.get()) == PGRES_FATAL_ERROR;
    in_step = commit.get() != nullptr && PgResult(PQgetResult(connection)) == nullptr;
  }
  if (in_step) {
    PgResult sync(PQgetResult(connection));
    in_step = sync.get() != nullptr && PQresultStatus(sync.get()) == PGRES_PIPELINE_SYNC &&
              PQexitPipelineMode(connection) == 1;
  }
  if (!in_step) {
    // Lost, or out of step with libpq: this connection cannot be trusted.
    // Closing its socket, then letting libpq read the end of it, marks it
    // CONNECTION_BAD: the error becomes a 503 and the pool reconnects it.
    if (PQsocket(connection) >= 0) {
      ::shutdown(PQsocket(connection), SHUT_RDWR);
      PQconsumeInput(connection);
    }
    tx.EndedElsewhere();
    throw soci::soci_error("database connection lost during the provisioning key count");
  }
  if (committed) {
    tx.EndedElsewhere();
    // With the key row locked by the insert, the UPDATE always finds it.
    if (!counted) throw soci::soci_error("provisioning key count found no row");
    return true;
  }
  if (refused) return false;  // the transaction is aborted: the caller rolls back
  // Any other failure: nothing was committed. A COMMIT that ran and failed
  // ended the transaction; after a failed UPDATE it is aborted and the
  // caller's rollback ends it.
  if (commit_failed) tx.EndedElsewhere();
  throw soci::soci_error("the provisioning key count or the commit failed");
}

}  // namespace

bool CountAgainstKeyAndCommit(soci::session& sql, WriteTransaction& tx, long long key_id,
                              const std::string& now) {
  SessionCache* cache = SessionCacheFor(sql);
  if (cache == nullptr || !IsPostgresql(sql)) {
    if (!CountAgainstKey(sql, key_id, now)) return false;
    tx.Commit();
    return true;
  }
  cache->Get<CountAgainstKeyPrepared>(sql);  // prepared once per connection
  return PipelinedCountAndCommit(sql, tx, key_id, now);
}

void AccessTableStatistics::NoteNewDevice(soci::session& sql, Logger& log) {
  if (new_devices_.fetch_add(1, std::memory_order_relaxed) + 1 != after_) return;
  if (!IsPostgresql(sql)) return;
  try {
    sql << "ANALYZE mqtt_users, mqtt_acls";
    log.Info("analysed mqtt_users and mqtt_acls after " + std::to_string(after_) +
             " registrations (fresh plans for their foreign-key checks)");
  } catch (const soci::soci_error&) {
    // The device is registered and committed; only the speed-up is lost.
    log.Warn(
        "could not ANALYZE mqtt_users, mqtt_acls: registrations stay slower until "
        "autovacuum analyses them");
  }
}

}  // namespace switchboard
