// Storage: a bounded pool of SOCI sessions on SQLite or PostgreSQL.
//
// Thread-safe. Each session is used by one thread at a time (SOCI's rule);
// Acquire() hands one out for the lifetime of a Lease. The pool never blocks
// forever: when every session is busy for longer than the configured wait,
// or the database cannot be reached, Acquire() throws StorageUnavailable,
// which the HTTP layer answers with 503.
//
// Sessions connect lazily, so an unreachable database never stops the
// server from starting; a session whose connection was lost reconnects on
// its next lease.
//
// SQLite: every connection gets `foreign_keys=ON` and a busy timeout; the
// database runs in WAL mode. Writes must start with BeginWrite() (BEGIN
// IMMEDIATE), because SOCI's deferred BEGIN can fail a read-then-write
// transaction at once with SQLITE_BUSY.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/sqlite_file.h"

namespace soci {
class session;
}

namespace switchboard {

class SessionCache;          // session_cache.h
class ConfigSnapshotHolder;  // config_snapshot.h
class DeviceReadPipeline;    // device_read_pipeline.h
class SecretBox;             // util/secret_box.h

enum class Dialect { kSqlite, kPostgresql };

// Whether a SQLite database file that does not exist is created on first
// connection (sqlite_file.h). PostgreSQL ignores it.
enum class SqliteCreation {
  kCreateIfMissing,  // `switchboard migrate`, `serve --create-database`, tests
  kMustExist,        // `serve`: a missing file is "storage unavailable"
};

// The database cannot serve this request now (unreachable, pool exhausted).
class StorageUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Storage {
 public:
  // REQUIRES: `url` is `sqlite3://…` or `postgresql://…` (else
  // std::invalid_argument); pool_size >= 1. Connects nothing yet.
  // `fetch_pipeline_connections` (PostgreSQL): device_reads()'s
  // connections; 0 turns it off. `creation`: see SqliteCreation.
  Storage(std::string url, int pool_size, std::chrono::milliseconds acquire_timeout,
          int fetch_pipeline_connections = 2,
          SqliteCreation creation = SqliteCreation::kCreateIfMissing);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // A leased session; returns it to the pool when destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    soci::session& operator*() const { return *session_; }
    soci::session* operator->() const { return session_; }
    soci::session& get() const { return *session_; }

   private:
    friend class Storage;
    Lease(Storage* owner, std::size_t slot, soci::session* session)
        : owner_(owner), slot_(slot), session_(session) {}
    Storage* owner_;
    std::size_t slot_;
    soci::session* session_;
  };

  // Throws StorageUnavailable when no session frees up within the wait or
  // the database cannot be reached.
  Lease Acquire();

  // Runs `work` on a leased session. When it fails because the connection
  // was lost, reconnects and runs it once more. Only for idempotent work
  // (reads, or writes inside one transaction that rolled back).
  void WithRetry(const std::function<void(soci::session&)>& work);

  // Opens a write transaction: BEGIN IMMEDIATE on SQLite, BEGIN on
  // PostgreSQL. Pair with Commit()/Rollback() (WriteTransaction does both).
  // Throws StorageUnavailable when the SQLite file was deleted or replaced
  // (sqlite_file_intact()): the write would be lost.
  void BeginWrite(soci::session& sql) const;

  // True when a trivial query succeeds now and, on SQLite, the file is
  // still the one first connected to.
  bool Ping();

  // SQLite: the database file is still the one the first connection opened
  // (same device and inode; sqlite_file.h). Always true on PostgreSQL and
  // before the first connection.
  bool sqlite_file_intact() const;

  Dialect dialect() const { return dialect_; }
  const std::string& url() const { return url_; }

  // The broker/fleet cache of this database (config_snapshot.h).
  ConfigSnapshotHolder& config_snapshots() { return *snapshots_; }

  // PostgreSQL: the batched device lookup of the config fetch, on a
  // connection of its own (device_read_pipeline.h). nullptr on SQLite, where
  // a lookup is a function call.
  DeviceReadPipeline* device_reads() { return device_reads_.get(); }

  // Seal broker secrets at rest with `secrets` (util/secret_box.h): every
  // pooled session opens them when it reads a broker row, and the domain
  // seals them on write. Call before the pool serves. Null: in clear.
  void UseSecretBox(std::shared_ptr<const SecretBox> secrets);
  const SecretBox* secrets() const { return secrets_.get(); }

  // A copy of the URL safe to print: every password libpq would read masked
  // (redact_url.h).
  std::string RedactedUrl() const;

 private:
  void Release(std::size_t slot);
  void EnsureConnected(soci::session& sql);
  // SQLite only: throw StorageUnavailable for a replaced file, or a missing
  // one under kMustExist; record the file's identity once opened.
  void CheckSqliteFileBeforeOpen();
  void NoteSqliteFileAfterOpen();

  const std::string url_;
  const Dialect dialect_;
  const std::string sqlite_path_;  // "" unless a SQLite file
  const SqliteCreation creation_;
  mutable std::mutex identity_mutex_;
  std::optional<FileIdentity> identity_;  // of sqlite_path_, at the first connection
  const std::chrono::milliseconds acquire_timeout_;
  std::vector<std::unique_ptr<soci::session>> sessions_;
  // Per session: prepared statements (session_cache.h), cleared when it
  // reconnects; registered under the session's address.
  std::vector<std::unique_ptr<SessionCache>> caches_;
  std::unique_ptr<ConfigSnapshotHolder> snapshots_;
  std::unique_ptr<DeviceReadPipeline> device_reads_;
  std::shared_ptr<const SecretBox> secrets_;
  std::vector<std::size_t> free_slots_;
  std::mutex mutex_;
  std::condition_variable freed_;
};

// A write transaction that rolls back unless committed (SQLite: BEGIN
// IMMEDIATE). Not nestable.
class WriteTransaction {
 public:
  WriteTransaction(const Storage& storage, soci::session& sql);
  ~WriteTransaction();
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  void Commit();
  void Rollback();
  // The transaction was committed (or ended) on the connection directly,
  // not through this object (registration_writes.cc): nothing left to do.
  void EndedElsewhere() { open_ = false; }

 private:
  soci::session& sql_;
  bool open_ = true;
};

// True when `e` (a soci::soci_error or anything else) means the database
// was not reachable, as opposed to a bad statement or a constraint.
bool IsConnectionFailure(soci::session& sql);

// True when a soci error message is a unique/foreign-key/check violation.
bool IsConstraintViolation(const std::string& what);

}  // namespace switchboard
