#include "storage/sqlite_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <regex>
#include <stdexcept>

namespace switchboard {

std::string SqliteFilePath(const std::string& url) {
  constexpr std::string_view kScheme = "sqlite3://";
  if (url.rfind(kScheme, 0) != 0) return "";
  static const std::regex pattern("(^|\\s)db=(\\S+)");
  const std::string connect = url.substr(kScheme.size());
  std::smatch match;
  if (!std::regex_search(connect, match, pattern)) return "";
  const std::string path = match[2].str();
  return path == ":memory:" ? "" : path;
}

std::optional<FileIdentity> IdentityOf(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  return FileIdentity{info.st_dev, info.st_ino};
}

std::unique_ptr<SqliteServeLock> SqliteServeLock::Acquire(const std::string& database_path) {
  const std::string path = database_path + ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::runtime_error("cannot create the lock file " + path + ": " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char pid[32] = {};
    (void)!::pread(fd, pid, sizeof pid - 1, 0);
    ::close(fd);
    if (error == EWOULDBLOCK) {
      std::string owner(pid);
      while (!owner.empty() && (owner.back() == '\n' || owner.back() == ' ')) owner.pop_back();
      throw std::runtime_error(
          "another `switchboard serve`" + (owner.empty() ? "" : " (pid " + owner + ")") +
          " is serving the SQLite database " + database_path + " (it holds " + path +
          "); stop it first. Several instances need PostgreSQL (docs/storage.md)");
    }
    throw std::runtime_error("cannot lock " + path + ": " + std::strerror(error));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The pid is only for the message; the lock holds without it.
  }
  return std::unique_ptr<SqliteServeLock>(new SqliteServeLock(fd));
}

SqliteServeLock::~SqliteServeLock() { ::close(fd_); }

}  // namespace switchboard
