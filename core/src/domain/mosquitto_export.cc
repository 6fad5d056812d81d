#include "domain/mosquitto_export.h"

#include <fcntl.h>
#include <soci/soci.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "engine/resolve_context.h"

namespace switchboard {
namespace {

struct MqttUser {
  std::string username;
  std::string password_hash;
  std::string uuid;
};

std::vector<MqttUser> ActiveUsers(soci::session& sql) {
  std::vector<MqttUser> users;
  soci::rowset<soci::row> rows =
      (sql.prepare << "SELECT u.username, u.password_hash, d.uuid FROM mqtt_users u "
                      "JOIN devices d ON d.id = u.device_id "
                      "WHERE u.is_active = 1 ORDER BY u.username");
  for (const soci::row& row : rows) {
    users.push_back({row.get<std::string>(0), row.get<std::string>(1), row.get<std::string>(2)});
  }
  return users;
}

// username -> (access, topic) lines, in insertion order.
std::map<std::string, std::vector<std::pair<std::string, std::string>>> Acls(soci::session& sql) {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> acls;
  soci::rowset<soci::row> rows =
      (sql.prepare << "SELECT username, access, topic FROM mqtt_acls ORDER BY username, id");
  for (const soci::row& row : rows) {
    acls[row.get<std::string>(0)].emplace_back(row.get<std::string>(1), row.get<std::string>(2));
  }
  return acls;
}

// A line break in a stored value would let one row inject lines into the
// broker's files; such rows are skipped and reported.
bool SafeForLine(const std::string& value) {
  return value.find_first_of("\r\n") == std::string::npos && !value.empty();
}

[[noreturn]] void Fail(const std::string& what, const std::string& path) {
  throw std::runtime_error("cannot write " + path + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

void WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::filesystem::path target(path);
  // ".<name>.XXXXXX" beside the target, so rename() stays on one file system.
  // (Built with append(), not operator+: GCC 12 -O2 reports a false
  // -Wrestrict on `"." + string`.)
  std::string name(".");
  name.append(target.filename().string()).append(".XXXXXX");
  std::string temp =
      ((target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path()) / name)
          .string();
  const int fd = mkstemp(temp.data());
  if (fd < 0) Fail("create temp file", path);
  bool ok = fchmod(fd, 0600) == 0;
  std::size_t written = 0;
  while (ok && written < content.size()) {
    const ssize_t n = write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<std::size_t>(n);
  }
  ok = ok && fsync(fd) == 0;
  const int saved_errno = errno;
  close(fd);
  if (!ok || rename(temp.c_str(), path.c_str()) != 0) {
    unlink(temp.c_str());
    errno = ok ? errno : saved_errno;
    Fail("write", path);
  }
}

MosquittoExportResult ExportMosquitto(Storage& storage, const MosquittoExportOptions& options,
                                      Logger& log) {
  if (options.broker_id && options.chain == nullptr) {
    throw std::invalid_argument("export by broker needs the resolver chain");
  }
  std::vector<MqttUser> users;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> acls;
  storage.WithRetry([&](soci::session& sql) {
    users = ActiveUsers(sql);
    acls = Acls(sql);
  });

  if (options.broker_id) {
    std::vector<MqttUser> kept;
    for (MqttUser& user : users) {
      const Resolution resolution = ResolveDevice(*options.chain, storage, user.uuid, log);
      if (resolution.broker && resolution.broker->id == *options.broker_id) {
        kept.push_back(std::move(user));
      }
    }
    users = std::move(kept);
  }

  MosquittoExportResult result;
  std::ostringstream passwords;
  std::ostringstream acl;
  acl << "# Written by `switchboard export mosquitto`; replaced on every export.\n";
  for (const MqttUser& user : users) {
    if (!SafeForLine(user.username) || !SafeForLine(user.password_hash) ||
        user.username.find(':') != std::string::npos) {
      log.Warn("export: skipped MQTT user with an unusable name or hash");
      continue;
    }
    passwords << user.username << ':' << user.password_hash << '\n';
    ++result.users;
    acl << "\nuser " << user.username << '\n';
    for (const auto& [access, topic] : acls[user.username]) {
      if (!SafeForLine(topic)) continue;
      acl << "topic " << access << ' ' << topic << '\n';
      ++result.acl_entries;
    }
  }
  WriteFileAtomically(options.password_file, passwords.str());
  WriteFileAtomically(options.acl_file, acl.str());
  return result;
}

}  // namespace switchboard
