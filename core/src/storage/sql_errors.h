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

// Called from a `catch (const soci::soci_error&)` block: throws
// StorageUnavailable when the connection was lost, SQLite stayed busy past
// its timeout, or the database cannot write (disk full, read-only file, I/O
// error), and rethrows the current exception otherwise.
[[noreturn]] void RethrowStorageFailure(soci::session& sql);

// Runs idempotent read work on a leased session through Storage::WithRetry
// (one reconnect and retry when the connection was lost), then maps what
// still fails: connection lost or SQLite busy → StorageUnavailable; other
// soci errors propagate. Domain errors thrown by `work` propagate as is.
void ReadWithRetry(Storage& storage, const std::function<void(soci::session&)>& work);

// True when the database refused a statement for a UNIQUE constraint /
// primary key (both dialects' wording).
bool IsUniqueViolation(const soci::soci_error& error);

}  // namespace switchboard
