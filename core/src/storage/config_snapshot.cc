#include "storage/config_snapshot.h"

#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "storage/broker_rows.h"
#include "storage/session_cache.h"

namespace switchboard {
namespace {

// `SELECT version FROM config_version`, prepared once per pooled session.
struct ConfigVersionSelect {
  explicit ConfigVersionSelect(soci::session& sql)
      : st((sql.prepare << "SELECT version FROM config_version WHERE id = 1",
            soci::into(version))) {}
  long long version = 0;
  soci::statement st;
};

// True when `sql` has a transaction open. What such a session reads may
// include its own uncommitted writes, so it never loads a snapshot others
// would share. (Backend classes export no typeinfo: the name is the check,
// as in storage.cc.)
bool InTransaction(soci::session& sql) {
  soci::details::session_backend* backend = sql.get_backend();
  if (backend == nullptr) return false;
  if (backend->get_backend_name() == "postgresql") {
    PGconn* conn = static_cast<soci::postgresql_session_backend*>(backend)->conn_;
    return conn != nullptr && PQtransactionStatus(conn) != PQTRANS_IDLE;
  }
  if (backend->get_backend_name() == "sqlite3") {
    sqlite_api::sqlite3* db = static_cast<soci::sqlite3_session_backend*>(backend)->conn_;
    return db != nullptr && sqlite_api::sqlite3_get_autocommit(db) == 0;
  }
  return true;  // unknown backend: never share what it reads
}

}  // namespace

std::int64_t ReadConfigVersion(soci::session& sql) {
  long long version = 0;
  if (SessionCache* cache = SessionCacheFor(sql)) {
    auto& q = cache->Get<ConfigVersionSelect>(sql);
    if (q.st.execute(true)) version = q.version;
    const bool found = sql.got_data();
    FinishSingleRow(sql, q.st);
    if (!found) throw soci::soci_error("config_version has no row");
    return version;
  }
  soci::indicator ind = soci::i_null;
  sql << "SELECT version FROM config_version WHERE id = 1", soci::into(version, ind);
  if (!sql.got_data() || ind != soci::i_ok) throw soci::soci_error("config_version has no row");
  return version;
}

std::shared_ptr<const ConfigSnapshot> ConfigSnapshotHolder::AtLeast(soci::session& sql,
                                                                    std::int64_t version) {
  // The common case, without the lock: the held snapshot is new enough.
  if (auto held = std::atomic_load(&current_); held && held->version >= version) return held;
  std::lock_guard lock(mutex_);
  if (current_ && current_->version >= version) return current_;
  if (too_big_at_ >= version) return nullptr;
  if (InTransaction(sql)) return nullptr;  // read directly; load at the next idle read
  // Read the version again on this session right before the rows: the rows
  // are then at least as new as the tag (a write committed in between only
  // makes them newer, and bumps the counter past the tag).
  const std::int64_t now = ReadConfigVersion(sql);
  long long brokers = 0, fleets = 0;
  sql << "SELECT COUNT(*) FROM mqtt_broker_config", soci::into(brokers);
  sql << "SELECT COUNT(*) FROM fleets", soci::into(fleets);
  if (brokers > kMaxSnapshotBrokers || fleets > kMaxSnapshotFleets) {
    too_big_at_ = now;
    std::atomic_store(&current_, std::shared_ptr<const ConfigSnapshot>());
    return nullptr;
  }
  std::shared_ptr<const ConfigSnapshot> loaded = LoadConfigSnapshot(sql, now);
  std::atomic_store(&current_, loaded);
  ++loads_;
  return loaded;
}

std::int64_t ConfigSnapshotHolder::loads() const {
  std::lock_guard lock(mutex_);
  return loads_;
}

void PrimeConfigSnapshot(soci::session& sql, std::int64_t version) {
  SessionCache* cache = SessionCacheFor(sql);
  if (cache != nullptr && cache->snapshots() != nullptr) cache->snapshots()->AtLeast(sql, version);
}

void StorageBrokerDirectory::NoteConfigVersion(soci::session& sql, std::int64_t version) {
  if (session_ != &sql) {
    snapshot_.reset();
    uncached_ = false;
  }
  session_ = &sql;
  version_ = version;
  version_for_any_session_ = false;
}

void StorageBrokerDirectory::NoteConfigVersionReadElsewhere(std::int64_t version) {
  session_ = nullptr;
  snapshot_.reset();
  uncached_ = false;
  version_ = version;
  version_for_any_session_ = true;
}

const ConfigSnapshot* StorageBrokerDirectory::Snapshot(soci::session& sql) {
  if (session_ == &sql) {
    if (uncached_) return nullptr;
    if (snapshot_) return snapshot_.get();
  } else if (version_for_any_session_) {
    session_ = &sql;  // keeps the version (NoteConfigVersionReadElsewhere)
    version_for_any_session_ = false;
  } else {
    // First read of this resolution, or the host switched sessions (it
    // reconnected): whatever was decided was for the other session.
    session_ = &sql;
    version_.reset();
    snapshot_.reset();
    uncached_ = false;
  }
  SessionCache* cache = SessionCacheFor(sql);
  if (cache == nullptr || cache->snapshots() == nullptr) {
    uncached_ = true;
    return nullptr;
  }
  if (!version_) version_ = ReadConfigVersion(sql);
  snapshot_ = cache->snapshots()->AtLeast(sql, *version_);
  if (!snapshot_) uncached_ = true;
  return snapshot_.get();
}

// Each read: the resolution's snapshot when the rule allows one, else the
// SELECT of broker_rows.h (prepared for pooled sessions).

std::optional<BrokerConfig> StorageBrokerDirectory::ById(std::int64_t id) {
  soci::session& sql = context_.sql();
  if (const ConfigSnapshot* snapshot = Snapshot(sql)) {
    const auto it = snapshot->brokers.find(id);
    if (it == snapshot->brokers.end()) return std::nullopt;
    return it->second;
  }
  return LoadBrokerById(sql, id);
}

std::optional<BrokerConfig> StorageBrokerDirectory::Default() {
  soci::session& sql = context_.sql();
  if (const ConfigSnapshot* snapshot = Snapshot(sql)) {
    if (!snapshot->default_id) return std::nullopt;
    return snapshot->brokers.at(*snapshot->default_id);
  }
  return LoadDefaultBroker(sql);
}

std::vector<BrokerConfig> StorageBrokerDirectory::ActiveInRegion(const std::string& region) {
  soci::session& sql = context_.sql();
  if (const ConfigSnapshot* snapshot = Snapshot(sql)) {
    std::vector<BrokerConfig> out;
    const auto it = snapshot->active_by_region.find(region);
    if (it == snapshot->active_by_region.end()) return out;
    out.reserve(it->second.size());
    for (const BrokerConfig* broker : it->second) out.push_back(*broker);
    return out;
  }
  return LoadActiveBrokersInRegion(sql, region);
}

std::optional<FleetRow> StorageBrokerDirectory::Fleet(const std::string& id) {
  soci::session& sql = context_.sql();
  if (const ConfigSnapshot* snapshot = Snapshot(sql)) {
    const auto it = snapshot->fleets.find(id);
    if (it == snapshot->fleets.end()) return std::nullopt;
    return it->second;
  }
  return LoadFleet(sql, id);
}

std::shared_ptr<const ConfigSnapshot> StorageBrokerDirectory::SharedSnapshot() {
  if (Snapshot(context_.sql()) == nullptr) return nullptr;
  return snapshot_;
}

BrokerHealthState StorageBrokerDirectory::Health(std::int64_t id) {
  if (health_ == nullptr) return BrokerHealthState::kUnknown;
  switch (health_->Of(id).state) {
    case HealthState::kHealthy:
      return BrokerHealthState::kHealthy;
    case HealthState::kUnhealthy:
      return BrokerHealthState::kUnhealthy;
    case HealthState::kUnknown:
      break;
  }
  return BrokerHealthState::kUnknown;
}

}  // namespace switchboard
