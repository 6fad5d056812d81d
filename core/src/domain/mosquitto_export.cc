#include "domain/mosquitto_export.h"

#include <fcntl.h>
#include <soci/soci.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "domain/provisioning.h"
#include "engine/resolve_context.h"
#include "storage/registration_writes.h"

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

// The stored rows of every user equal what the templates give it (as a set:
// a retry may have added rows in another order).
bool RowsFollowTemplates(
    const std::vector<MqttUser>& users,
    const std::map<std::string, std::vector<std::pair<std::string, std::string>>>& acls,
    const ProvisioningConfig& topics) {
  for (const MqttUser& user : users) {
    std::set<std::pair<std::string, std::string>> expected;
    for (const AclRow& row : AclRows(ExpandTopics(topics.publish_topics, user.uuid),
                                     ExpandTopics(topics.subscribe_topics, user.uuid))) {
      expected.emplace(row.access, row.topic);
    }
    const auto stored = acls.find(user.username);
    const std::set<std::pair<std::string, std::string>> have =
        stored == acls.end() ? std::set<std::pair<std::string, std::string>>{}
                             : std::set<std::pair<std::string, std::string>>(stored->second.begin(),
                                                                             stored->second.end());
    if (have != expected) return false;
  }
  return true;
}

}  // namespace

std::optional<std::vector<std::string>> MosquittoPatternLines(const ProvisioningConfig& topics,
                                                              std::string* why) {
  auto has = [](const std::vector<std::string>& list, std::string_view text) {
    return std::any_of(list.begin(), list.end(),
                       [&](const std::string& t) { return t.find(text) != std::string::npos; });
  };
  for (const auto* list : {&topics.publish_topics, &topics.subscribe_topics}) {
    if (has(*list, "{uuid}")) {
      *why =
          "the topic templates use {uuid}, which Mosquitto patterns cannot express: write them "
          "with {username} (e.g. devices/{username}/#) for pattern lines";
      return std::nullopt;
    }
    // Mosquitto reads '%' in a pattern as a substitution, and a line
    // ends a pattern.
    for (const std::string& topic : *list) {
      if (topic.find_first_of("%\r\n") != std::string::npos || topic.empty()) {
        *why = "a topic template holds '%' or a line break, which a pattern line cannot";
        return std::nullopt;
      }
    }
  }
  // The same merge registration does (publish+subscribe → readwrite), on the
  // templates themselves.
  std::vector<std::string> lines;
  for (const AclRow& row : AclRows(topics.publish_topics, topics.subscribe_topics)) {
    std::string topic = row.topic;
    for (auto at = topic.find("{username}"); at != std::string::npos;
         at = topic.find("{username}", at + 2)) {
      topic.replace(at, 10, "%u");
    }
    lines.push_back("pattern " + row.access + ' ' + topic);
  }
  return lines;
}

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
      // Every broker of the device's endpoint list: a device that fails over
      // to this broker must be admitted there too.
      const Resolution resolution = ResolveDevice(*options.chain, storage, user.uuid, log);
      for (const Endpoint& endpoint : resolution.endpoints) {
        if (endpoint.broker.from_storage && endpoint.broker.id == *options.broker_id) {
          kept.push_back(std::move(user));
          break;
        }
      }
    }
    users = std::move(kept);
  }

  MosquittoExportResult result;
  std::optional<std::vector<std::string>> patterns;
  if (options.topics) {
    patterns = MosquittoPatternLines(*options.topics, &result.per_user_reason);
    if (patterns && !RowsFollowTemplates(users, acls, *options.topics)) {
      patterns.reset();
      result.per_user_reason =
          "some devices' stored topic rights differ from the topic templates (registered under "
          "other templates): per-user blocks keep each device's own";
    }
  }
  std::ostringstream passwords;
  std::ostringstream acl;
  acl << "# Written by `switchboard export mosquitto`; replaced on every export.\n";
  if (patterns) {
    result.patterns = true;
    acl << "# Every device's rights follow the topic templates: %u is its username.\n";
    for (const std::string& line : *patterns) {
      acl << line << '\n';
      ++result.acl_entries;
    }
  }
  for (const MqttUser& user : users) {
    if (!SafeForLine(user.username) || !SafeForLine(user.password_hash) ||
        user.username.find(':') != std::string::npos) {
      log.Warn("export: skipped MQTT user with an unusable name or hash");
      continue;
    }
    passwords << user.username << ':' << user.password_hash << '\n';
    ++result.users;
    if (patterns) continue;
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
