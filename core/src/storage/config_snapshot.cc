#include "storage/config_snapshot.h"

#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

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

// The resolution in progress on this thread (ResolutionScope).
struct ResolutionState {
  soci::session* session = nullptr;  // the session `version` and `snapshot` are for
  std::optional<std::int64_t> version;
  // `version` was read during this resolution on a connection of its own
  // (DeviceReadPipeline): the first session the resolution reads on adopts it.
  bool version_for_any_session = false;
  std::shared_ptr<const ConfigSnapshot> snapshot;
  bool uncached = false;  // decided: this resolution reads storage directly
};

thread_local ResolutionState state;
thread_local bool active = false;

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

ResolutionScope::ResolutionScope() : owner_(!active) {
  if (owner_) {
    state = ResolutionState{};
    active = true;
  }
}

ResolutionScope::~ResolutionScope() {
  if (owner_) {
    state = ResolutionState{};  // releases the snapshot
    active = false;
  }
}

void NoteConfigVersion(soci::session& sql, std::int64_t version) {
  if (!active) return;
  if (state.session != &sql) {
    state.snapshot.reset();
    state.uncached = false;
  }
  state.session = &sql;
  state.version = version;
  state.version_for_any_session = false;
}

void NoteConfigVersionReadElsewhere(std::int64_t version) {
  if (!active) return;
  state = ResolutionState{};
  state.version = version;
  state.version_for_any_session = true;
}

void PrimeConfigSnapshot(soci::session& sql, std::int64_t version) {
  SessionCache* cache = SessionCacheFor(sql);
  if (cache != nullptr && cache->snapshots() != nullptr) cache->snapshots()->AtLeast(sql, version);
}

const ConfigSnapshot* ResolutionSnapshot(soci::session& sql) {
  if (!active) return nullptr;
  if (state.session == &sql) {
    if (state.uncached) return nullptr;
    if (state.snapshot) return state.snapshot.get();
  } else if (state.version_for_any_session) {
    state.session = &sql;  // keeps the version (NoteConfigVersionReadElsewhere)
    state.version_for_any_session = false;
  } else {
    // First read of this resolution, or the host switched sessions (it
    // reconnected): whatever was decided was for the other session.
    state.session = &sql;
    state.version.reset();
    state.snapshot.reset();
    state.uncached = false;
  }
  SessionCache* cache = SessionCacheFor(sql);
  if (cache == nullptr || cache->snapshots() == nullptr) {
    state.uncached = true;
    return nullptr;
  }
  if (!state.version) state.version = ReadConfigVersion(sql);
  state.snapshot = cache->snapshots()->AtLeast(sql, *state.version);
  if (!state.snapshot) state.uncached = true;
  return state.snapshot.get();
}

}  // namespace switchboard
