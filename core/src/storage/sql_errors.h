// What a failed SOCI statement means for the caller: a database that cannot
// serve now (StorageUnavailable, HTTP 503), a constraint the request broke,
// or a bug. Thread-safe, no state.
#pragma once

#include <functional>

#include "storage/storage.h"

namespace soci {
class session;
class soci_error;
}  // namespace soci

namespace switchboard {

// The database refused a write for a condition of its storage, not of the
// request: a full disk, a file-size limit, a read-only file or filesystem,
// an I/O error. Reads may still work; the condition may pass. A
// StorageUnavailable, so it is answered 503 like one.
class StorageCannotWrite : public StorageUnavailable {
 public:
  using StorageUnavailable::StorageUnavailable;
};

// Called from a `catch (const soci::soci_error&)` block: throws
// StorageUnavailable when the connection was lost or SQLite stayed busy past
// its timeout, StorageCannotWrite when the database cannot write (disk full,
// file-size limit, read-only file, I/O error), and rethrows the current
// exception otherwise.
[[noreturn]] void RethrowStorageFailure(soci::session& sql);

// Runs idempotent read work on a leased session through Storage::WithRetry
// (one reconnect and retry when the connection was lost), then maps what
// still fails: connection lost or SQLite busy → StorageUnavailable; other
// soci errors propagate. Domain errors thrown by `work` propagate as is.
void ReadWithRetry(Storage& storage, const std::function<void(soci::session&)>& work);

// True when the database refused a statement for a UNIQUE constraint /
// primary key (both dialects' wording).
bool IsUniqueViolation(const soci::soci_error& error);

// True when a write transaction commits now: config_version's row
// rewritten with its own value (nothing changes, but SQLite writes a page
// to its WAL and PostgreSQL a row version). False when it fails for any
// reason (StorageCannotWrite's conditions, or storage unavailable). Takes a
// pooled session and the write lock briefly: for a caller that has seen
// writes fail (App::StorageWritable), not for every request. Never throws.
bool ProbeWrite(Storage& storage);

}  // namespace switchboard
