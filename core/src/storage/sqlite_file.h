// The SQLite database file as a thing that can go missing.
//
// SQLite keeps working on a file that was deleted (or replaced by a rename)
// under an open connection: reads still answer, and writes go to an unlinked
// inode that is lost when the process ends. On the next start the
// embedded default would then create and migrate an empty database, and
// every device would be gone. So:
//   - Storage records the file's identity (device and inode) when it first
//     connects, checks it before every write transaction and in Ping()
//     (/readyz), and refuses both once it changed (sqlite_file_intact());
//   - Storage opens a file that does not exist only when told to create it
//     (`switchboard migrate`, `serve --create-database`; StorageOptions);
//   - `serve` holds SqliteServeLock, so a second `serve` on the same file
//     refuses to start instead of splitting traffic with the first.
//
// Thread-safe: free functions; a lock object is owned by one thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

namespace switchboard {

// The `db=` file of a `sqlite3://…` URL; "" for another backend or
// `:memory:`.
std::string SqliteFilePath(const std::string& url);

struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const FileIdentity&) const = default;
};

// The identity of `path` now; std::nullopt when it does not exist (or cannot
// be examined).
std::optional<FileIdentity> IdentityOf(const std::string& path);

// An exclusive advisory lock (flock) on `<database>.lock`, held until
// destroyed. The lock file holds the owner's pid, for the message. Other
// commands (migrate, keys, export, resolve) do not take it: they may run
// beside a serving process.
class SqliteServeLock {
 public:
  // Throws std::runtime_error naming the file (and the pid holding it)
  // when another process holds the lock or the lock file cannot be made.
  static std::unique_ptr<SqliteServeLock> Acquire(const std::string& database_path);
  ~SqliteServeLock();
  SqliteServeLock(const SqliteServeLock&) = delete;
  SqliteServeLock& operator=(const SqliteServeLock&) = delete;

 private:
  explicit SqliteServeLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace switchboard
