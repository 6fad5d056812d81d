#include "storage/sql_errors.h"

#include <soci/soci.h>

#include <regex>

namespace switchboard {

void RethrowStorageFailure(soci::session& sql) {
  if (IsConnectionFailure(sql)) {
    throw StorageUnavailable("database connection lost; try again");
  }
  try {
    throw;
  } catch (const soci::soci_error& e) {
    static const std::regex busy("database is locked|database table is locked|SQLITE_BUSY",
                                 std::regex::icase);
    if (std::regex_search(e.get_error_message(), busy)) {
      throw StorageUnavailable("storage busy; try again");
    }
    // The database cannot write now (a full disk, a read-only file or
    // filesystem, an I/O error): a condition of the storage, not of the
    // request, and it may pass; reads keep working.
    static const std::regex cannot_write(
        "database or disk is full|SQLITE_FULL|disk I/O error|readonly database|"
        "No space left on device|could not extend file|could not write",
        std::regex::icase);
    if (std::regex_search(e.get_error_message(), cannot_write)) {
      throw StorageCannotWrite("storage cannot write (disk full or read-only); try again");
    }
    throw;
  }
}

void ReadWithRetry(Storage& storage, const std::function<void(soci::session&)>& work) {
  bool lost = false;
  try {
    storage.WithRetry([&](soci::session& sql) {
      try {
        work(sql);
      } catch (const soci::soci_error&) {
        lost = IsConnectionFailure(sql);
        if (!lost) RethrowStorageFailure(sql);
        throw;  // WithRetry reconnects and runs `work` once more
      }
    });
  } catch (const soci::soci_error&) {
    if (lost) throw StorageUnavailable("database connection lost; try again");
    throw;
  }
}

bool ProbeWrite(Storage& storage) {
  try {
    Storage::Lease lease = storage.Acquire();
    WriteTransaction transaction(storage, *lease);
    *lease << "UPDATE config_version SET version = version WHERE id = 1";
    transaction.Commit();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

bool IsUniqueViolation(const soci::soci_error& error) {
  static const std::regex pattern("UNIQUE constraint failed|duplicate key value|unique constraint",
                                  std::regex::icase);
  return std::regex_search(error.get_error_message(), pattern);
}

}  // namespace switchboard
