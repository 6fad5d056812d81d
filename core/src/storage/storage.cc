#include "storage/storage.h"

#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <filesystem>
#include <mutex>
#include <regex>

#include "storage/config_snapshot.h"
#include "storage/device_read_pipeline.h"
#include "storage/redact_url.h"
#include "storage/session_cache.h"

namespace switchboard {
namespace {

constexpr char kSqliteScheme[] = "sqlite3://";
constexpr char kPostgresScheme[] = "postgresql://";

Dialect DialectOf(const std::string& url) {
  if (url.rfind(kSqliteScheme, 0) == 0) return Dialect::kSqlite;
  if (url.rfind(kPostgresScheme, 0) == 0) return Dialect::kPostgresql;
  throw std::invalid_argument("storage url must start with sqlite3:// or postgresql://");
}

std::string ConnectString(const std::string& url, Dialect dialect) {
  return url.substr(dialect == Dialect::kSqlite ? sizeof(kSqliteScheme) - 1
                                                : sizeof(kPostgresScheme) - 1);
}

// The value of `key=` in a SOCI/libpq key=value string, or "".
std::string ConnectParameter(const std::string& connect, const std::string& key) {
  const std::regex pattern("(^|\\s)" + key + "=(\\S+)");
  std::smatch match;
  return std::regex_search(connect, match, pattern) ? match[2].str() : "";
}

// A PostgreSQL session whose connection the server dropped reports
// CONNECTION_BAD without a round trip; SQLite connections are never lost.
bool ConnectionLost(soci::session& sql) {
  soci::details::session_backend* backend = sql.get_backend();
  if (backend == nullptr || backend->get_backend_name() != "postgresql") return false;
  // The class exports no typeinfo (no dynamic_cast); the name is the check.
  PGconn* connection = static_cast<soci::postgresql_session_backend*>(backend)->conn_;
  return connection == nullptr || PQstatus(connection) != CONNECTION_OK;
}

// SQLite keeps allocation statistics behind one process-wide mutex, taken
// by every sqlite3_malloc/free: with two workers reading at once it was most
// of the server's futex calls (perf, docs/benchmarks.md). Nothing here reads
// those statistics. Must run before SQLite initialises (the first open);
// later it is refused harmlessly.
void DisableSqliteMemoryStatistics() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite_api::sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

Storage::Storage(std::string url, int pool_size, std::chrono::milliseconds acquire_timeout,
                 int fetch_pipeline_connections, SqliteCreation creation)
    : url_(std::move(url)),
      dialect_(DialectOf(url_)),
      sqlite_path_(SqliteFilePath(url_)),
      creation_(creation),
      acquire_timeout_(acquire_timeout),
      snapshots_(std::make_unique<ConfigSnapshotHolder>()) {
  if (pool_size < 1) throw std::invalid_argument("storage pool_size must be at least 1");
  if (dialect_ == Dialect::kSqlite) {
    DisableSqliteMemoryStatistics();
    // Create the database's folder on first run (var/ for the embedded default).
    const std::string db = ConnectParameter(ConnectString(url_, dialect_), "db");
    const auto parent = std::filesystem::path(db).parent_path();
    if (creation_ == SqliteCreation::kCreateIfMissing && !db.empty() && db != ":memory:" &&
        !parent.empty()) {
      std::error_code ignored;
      std::filesystem::create_directories(parent, ignored);
    }
  } else if (fetch_pipeline_connections > 0) {
    device_reads_ = std::make_unique<DeviceReadPipeline>(ConnectString(url_, dialect_),
                                                         RedactedUrl(), fetch_pipeline_connections);
  }
  for (int i = 0; i < pool_size; ++i) {
    sessions_.push_back(std::make_unique<soci::session>());
    caches_.push_back(std::make_unique<SessionCache>(snapshots_.get()));
    RegisterSessionCache(sessions_.back().get(), caches_.back().get());
    free_slots_.push_back(static_cast<std::size_t>(pool_size - 1 - i));
  }
}

Storage::~Storage() {
  // Prepared statements go before their sessions.
  for (std::size_t i = 0; i < sessions_.size(); ++i) {
    UnregisterSessionCache(sessions_[i].get());
    caches_[i]->Clear();
  }
}

Storage::Lease::Lease(Lease&& other) noexcept
    : owner_(other.owner_), slot_(other.slot_), session_(other.session_) {
  other.owner_ = nullptr;
}

Storage::Lease::~Lease() {
  if (owner_ != nullptr) owner_->Release(slot_);
}

void Storage::EnsureConnected(soci::session& sql) {
  if (sql.get_backend() != nullptr && !ConnectionLost(sql)) return;
  // Statements prepared on the old connection die with it.
  if (SessionCache* cache = SessionCacheFor(sql)) cache->Clear();
  try {
    sql.close();
    const std::string connect = ConnectString(url_, dialect_);
    if (dialect_ == Dialect::kSqlite) {
      CheckSqliteFileBeforeOpen();
      sql.open(soci::sqlite3, connect);
      NoteSqliteFileAfterOpen();
      // Per connection: SQLite forgets foreign_keys between connections.
      sql << "PRAGMA foreign_keys = ON";
      sql << "PRAGMA journal_mode = WAL";
      // WAL + NORMAL: a committed transaction survives a process crash; only
      // an OS crash or power loss may drop the last commits.
      sql << "PRAGMA synchronous = NORMAL";
      // Page cache per connection: 4 MiB instead of SQLite's 2 MB, enough for
      // every interior page of the device table and its uuid index at a
      // million devices, so a lookup by uuid reads about two pages from the
      // OS instead of three (docs/benchmarks.md). Grown lazily; busy pools
      // use only a few sessions (the last returned is leased first).
      sql << "PRAGMA cache_size = -4096";
    } else {
      sql.open(soci::postgresql, connect);
      // libpq prints NOTICEs (e.g. "relation already exists, skipping") on
      // stderr, where they would mix with command output.
      sql << "SET client_min_messages TO warning";
    }
  } catch (const StorageUnavailable&) {
    sql.close();
    throw;
  } catch (const std::exception&) {
    sql.close();
    // The driver's text may contain the connection string: keep it out of
    // messages that reach clients or logs.
    throw StorageUnavailable("database unreachable (" + RedactedUrl() + ")");
  }
}

Storage::Lease Storage::Acquire() {
  std::size_t slot = 0;
  {
    std::unique_lock lock(mutex_);
    if (!freed_.wait_for(lock, acquire_timeout_, [&] { return !free_slots_.empty(); })) {
      throw StorageUnavailable("storage busy: no database session free within " +
                               std::to_string(acquire_timeout_.count()) + " ms");
    }
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  Lease lease(this, slot, sessions_[slot].get());
  EnsureConnected(*sessions_[slot]);  // on failure the lease returns the slot
  return lease;
}

void Storage::Release(std::size_t slot) {
  {
    std::lock_guard lock(mutex_);
    free_slots_.push_back(slot);
  }
  freed_.notify_one();
}

void Storage::WithRetry(const std::function<void(soci::session&)>& work) {
  Lease lease = Acquire();
  try {
    work(*lease);
    return;
  } catch (const soci::soci_error&) {
    if (!ConnectionLost(*lease)) throw;
  }
  EnsureConnected(*lease);
  work(*lease);
}

void Storage::BeginWrite(soci::session& sql) const {
  if (!sqlite_file_intact()) {
    throw StorageUnavailable("the SQLite database file " + sqlite_path_ +
                             " was deleted or replaced under the running server; writes are "
                             "refused until it is restored and the server restarted");
  }
  sql << (dialect_ == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN");
}

void Storage::CheckSqliteFileBeforeOpen() {
  if (sqlite_path_.empty()) return;
  const std::optional<FileIdentity> now = IdentityOf(sqlite_path_);
  std::lock_guard lock(identity_mutex_);
  if (identity_ && now != identity_) {
    // A new connection would open another database than the pool's others.
    throw StorageUnavailable("the SQLite database file " + sqlite_path_ +
                             " was deleted or replaced under the running server");
  }
  if (!now && creation_ == SqliteCreation::kMustExist) {
    throw StorageUnavailable("the SQLite database file " + sqlite_path_ +
                             " does not exist; `switchboard migrate` creates it (serve never "
                             "creates an empty database where one may have been)");
  }
}

void Storage::NoteSqliteFileAfterOpen() {
  if (sqlite_path_.empty()) return;
  std::lock_guard lock(identity_mutex_);
  if (!identity_) identity_ = IdentityOf(sqlite_path_);
}

void Storage::UseSecretBox(std::shared_ptr<const SecretBox> secrets) {
  secrets_ = secrets;
  for (const auto& cache : caches_) cache->set_secrets(secrets);
}

bool Storage::sqlite_file_intact() const {
  if (sqlite_path_.empty()) return true;
  std::lock_guard lock(identity_mutex_);
  if (!identity_) return true;
  return IdentityOf(sqlite_path_) == identity_;
}

bool Storage::Ping() {
  if (!sqlite_file_intact()) return false;
  try {
    bool ok = false;
    WithRetry([&](soci::session& sql) {
      int one = 0;
      sql << "SELECT 1", soci::into(one);
      ok = one == 1;
    });
    return ok;
  } catch (const std::exception&) {
    return false;
  }
}

std::string Storage::RedactedUrl() const { return RedactDatabaseUrl(url_); }

WriteTransaction::WriteTransaction(const Storage& storage, soci::session& sql) : sql_(sql) {
  storage.BeginWrite(sql_);
}

WriteTransaction::~WriteTransaction() {
  if (!open_) return;
  try {
    sql_.rollback();
  } catch (...) {
    // A lost connection has rolled back already.
  }
}

void WriteTransaction::Commit() {
  // Still open until COMMIT succeeded: a failed COMMIT (SQLite: disk full,
  // I/O error) can leave the transaction open and holding the write lock,
  // and this pooled session would then fail every later BEGIN. The
  // destructor rolls it back.
  sql_.commit();
  open_ = false;
}

void WriteTransaction::Rollback() {
  open_ = false;
  sql_.rollback();
}

bool IsConnectionFailure(soci::session& sql) { return ConnectionLost(sql); }

bool IsConstraintViolation(const std::string& what) {
  static const std::regex pattern(
      "UNIQUE constraint|CHECK constraint|FOREIGN KEY constraint|NOT NULL constraint|"
      "unique constraint|violates check constraint|violates foreign key|violates not-null|"
      "duplicate key value",
      std::regex::icase);
  return std::regex_search(what, pattern);
}

}  // namespace switchboard
