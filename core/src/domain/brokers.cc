// Broker CRUD. Rows are read through broker_rows.h (the one column list of
// mqtt_broker_config); writes name only the columns they set, so the
// database's defaults stay the single source of defaults.
#include "domain/brokers.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <soci/soci.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <deque>
#include <functional>
#include <optional>
#include <type_traits>

#include "domain/ca_bundle.h"
#include "domain/device_reports.h"
#include "domain/domain_errors.h"
#include "domain/validation.h"
#include "storage/broker_rows.h"
#include "storage/sql_errors.h"
#include "util/ip_address.h"
#include "util/secret_box.h"
#include "util/time.h"

namespace switchboard {
namespace {

constexpr std::int64_t kIntMax = INT_MAX;  // INTEGER columns are 32-bit in PostgreSQL
// Per-field caps, in characters, whatever server.max_body_bytes lets
// through: devices are handed most of these fields, and no field needs
// more. Documented in docs/api.md ("Field limits").
constexpr std::size_t kDescriptionChars = 1000;
constexpr std::size_t kPathChars = 255;
constexpr std::size_t kUsernameChars = 255;
constexpr std::size_t kPasswordChars = 1024;
constexpr std::size_t kCaCertChars = 256 * 1024;  // a bundle of CA certificates
constexpr std::size_t kCertChars = 64 * 1024;
constexpr std::size_t kClientIdPrefixChars = 64;
constexpr std::size_t kRegionChars = 255;
constexpr std::size_t kExtraConfigChars = 64 * 1024;
// MQTT's Keep Alive is a two-byte field: a larger value would be cut.
constexpr std::int64_t kMaxKeepAlive = 65535;

bool OneOf(const std::string& value, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed) {
    if (value == a) return true;
  }
  return false;
}

// What BrokerUrl() can print, ParseBrokerUrl() reads back and a device can
// connect to: an IPv4 or IPv6 address (without brackets or zone id), or a
// host name of dot-separated labels, each 1..63 letters, digits, '-' or '_'
// that neither starts nor ends with '-' (RFC 1123; '_' for internal names),
// with at most one trailing dot. So "-", "..", ".a" and "a-." are refused.
void CheckHost(const std::string& host) {
  CheckText("host", host, 1, 255);
  if (host.find(':') != std::string::npos) {
    if (!ParseIpAddress(host)) {
      throw ValidationError("host", "host: an IPv6 address is written without brackets or zone id");
    }
    return;
  }
  std::string_view rest = host;
  if (rest.size() > 1 && rest.back() == '.') rest.remove_suffix(1);
  while (true) {
    const std::size_t dot = rest.find('.');
    const std::string_view label = rest.substr(0, dot);
    bool ok = !label.empty() && label.size() <= 63 && label.front() != '-' && label.back() != '-';
    for (const char c : label) {
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_');
    }
    if (!ok) {
      throw ValidationError(
          "host",
          "host must be an IP address or a host name: labels of letters, digits, '-' and '_', "
          "separated by dots, none empty, none starting or ending with '-'");
    }
    if (dot == std::string_view::npos) return;
    rest.remove_prefix(dot + 1);
  }
}

void CheckJson(const std::string& text) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(
      text.data(), text.size());
  if (document.HasParseError()) {
    throw ValidationError(
        "extra_config", std::string("extra_config must be valid JSON text (") +
                            rapidjson::GetParseError_En(document.GetParseError()) + " at offset " +
                            std::to_string(document.GetErrorOffset()) + ")");
  }
}

// Column assignments of an INSERT or UPDATE, with the values they bind.
// deque: push_back keeps references to earlier elements valid, and SOCI
// holds references to the bound variables until the statement runs.
class Assignments {
 public:
  void Text(const char* column, const std::optional<std::string>& value, bool nullable) {
    if (!value) return;
    texts_.push_back(*value);
    indicators_.push_back(nullable && value->empty() ? soci::i_null : soci::i_ok);
    std::string& bound = texts_.back();
    soci::indicator& indicator = indicators_.back();
    Add(column,
        [&bound, &indicator](soci::statement& st) { st.exchange(soci::use(bound, indicator)); });
  }
  void Int(const char* column, const std::optional<std::int64_t>& value) {
    if (!value) return;
    ints_.push_back(static_cast<int>(*value));  // validated to fit
    int& bound = ints_.back();
    Add(column, [&bound](soci::statement& st) { st.exchange(soci::use(bound)); });
  }
  void Bool(const char* column, const std::optional<bool>& value) {
    if (value) Int(column, *value ? 1 : 0);
  }
  void Now(const char* column, const std::string& now) { Text(column, now, false); }

  bool empty() const { return columns_.empty(); }

  // "a, b, c" and ":p0, :p1, :p2" for an INSERT.
  std::string ColumnList() const { return Join(false); }
  std::string PlaceholderList() const { return Join(true); }
  // "a = :p0, b = :p1" for an UPDATE.
  std::string SetList() const {
    std::string out;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      out += (i ? ", " : "") + columns_[i] + " = :p" + std::to_string(i);
    }
    return out;
  }
  // Binds the values in column order.
  void Bind(soci::statement& st) const {
    for (const auto& bind : binders_) bind(st);
  }

 private:
  void Add(const char* column, std::function<void(soci::statement&)> binder) {
    columns_.emplace_back(column);
    binders_.push_back(std::move(binder));
  }
  std::string Join(bool placeholders) const {
    std::string out;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      out += (i ? ", " : "") + (placeholders ? ":p" + std::to_string(i) : columns_[i]);
    }
    return out;
  }

  std::vector<std::string> columns_;
  std::vector<std::function<void(soci::statement&)>> binders_;
  std::deque<std::string> texts_;
  std::deque<soci::indicator> indicators_;
  std::deque<int> ints_;
};

// The columns sealed at rest when a secret box is configured
// (util/secret_box.h); broker_rows.cc opens the same three.
bool IsSecretColumn(std::string_view column) {
  return column == "password" || column == "client_key" || column == "extra_config";
}

Assignments AssignmentsFor(const BrokerInput& in, const SecretBox* secrets) {
  Assignments a;
  ForEachBrokerInputField(
      in, [&a, secrets](const char* column, const auto& value, Clearable clearable) {
        using T = typename std::decay_t<decltype(value)>::value_type;
        if constexpr (std::is_same_v<T, std::string>) {
          if (secrets != nullptr && value && IsSecretColumn(column)) {
            a.Text(column, secrets->Seal(column, *value), clearable == Clearable::kYes);
            return;
          }
          a.Text(column, value, clearable == Clearable::kYes);
        } else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) {
          if (value) a.Text(column, FormatIdList(*value), true);
        } else if constexpr (std::is_same_v<T, bool>) {
          a.Bool(column, value);
        } else {
          a.Int(column, value);
        }
      });
  return a;
}

void RunStatement(soci::session& sql, const std::string& query, const Assignments& values,
                  const std::function<void(soci::statement&)>& more = {}) {
  soci::statement st(sql);
  values.Bind(st);
  if (more) more(st);
  st.alloc();
  st.prepare(query);
  st.define_and_bind();
  st.execute(true);
}

void ThrowIfNameTaken(soci::session& sql, const std::string& name, long long except_id) {
  long long count = 0;
  sql << "SELECT COUNT(*) FROM mqtt_broker_config WHERE name = :name AND id <> :id",
      soci::use(name), soci::use(except_id), soci::into(count);
  if (count > 0) throw Conflict("a broker named '" + name + "' already exists");
}

void ClearOtherDefault(soci::session& sql, long long keep_id, const std::string& now) {
  sql << "UPDATE mqtt_broker_config SET is_default = 0, updated_at = :now "
         "WHERE is_default = 1 AND id <> :id",
      soci::use(now), soci::use(keep_id);
}

bool Exists(soci::session& sql, long long id) {
  long long count = 0;
  sql << "SELECT COUNT(*) FROM mqtt_broker_config WHERE id = :id", soci::use(id), soci::into(count);
  return count > 0;
}

// Inside the write transaction, so a backup cannot be deleted between the
// check and the write. `self` is 0 on Create.
void CheckBackupsExist(soci::session& sql, const BrokerInput& input, long long self) {
  if (!input.backup_broker_ids) return;
  for (const std::int64_t id : *input.backup_broker_ids) {
    if (id == self) {
      throw ValidationError("backup_broker_ids",
                            "backup_broker_ids: a broker cannot be its own backup");
    }
    if (!Exists(sql, id)) {
      throw ValidationError("backup_broker_ids",
                            "backup_broker_ids: no broker with id " + std::to_string(id));
    }
  }
}

// A deleted broker leaves every backup list. Lists are short and brokers
// few: read the lists that name it, rewrite them.
void RemoveFromBackupLists(soci::session& sql, long long deleted, const std::string& now) {
  std::vector<std::pair<long long, std::string>> rewrites;
  long long id = 0;
  std::string list;
  soci::statement st = (sql.prepare << "SELECT id, backup_broker_ids FROM mqtt_broker_config "
                                       "WHERE backup_broker_ids IS NOT NULL AND id <> :id",
                        soci::use(deleted), soci::into(id), soci::into(list));
  st.execute();
  while (st.fetch()) {
    std::vector<std::int64_t> ids = ParseIdList(list);
    const auto end = std::remove(ids.begin(), ids.end(), deleted);
    if (end == ids.end()) continue;
    ids.erase(end, ids.end());
    rewrites.emplace_back(id, FormatIdList(ids));
  }
  for (auto& [broker, text] : rewrites) {
    soci::indicator ind = text.empty() ? soci::i_null : soci::i_ok;
    sql << "UPDATE mqtt_broker_config SET backup_broker_ids = :ids, updated_at = :now "
           "WHERE id = :id",
        soci::use(text, ind), soci::use(now), soci::use(broker);
  }
}

// The public view of one row; nullopt when it does not exist.
std::optional<PublicBroker> LoadPublic(soci::session& sql, long long id) {
  auto config = LoadBrokerById(sql, id);
  if (!config) return std::nullopt;
  PublicBroker out = ToPublicBroker(*config);
  std::string last_connected;
  soci::indicator last_connected_ind = soci::i_null;
  // Connection reports land in broker_connections (migration 006): a write
  // here would bump config_version and drop every instance's broker cache.
  sql << "SELECT b.created_at, b.updated_at, COALESCE((SELECT c.last_connected_at FROM "
         "broker_connections c WHERE c.broker_id = b.id), b.last_connected_at) "
         "FROM mqtt_broker_config b WHERE b.id = :id",
      soci::use(id), soci::into(out.created_at), soci::into(out.updated_at),
      soci::into(last_connected, last_connected_ind);
  if (last_connected_ind == soci::i_ok) out.last_connected_at = last_connected;
  return out;
}

// A unique violation on write: the name (the only unique column a client
// sets), or, on PostgreSQL only, two requests making a default at once.
Conflict UniqueConflict(const soci::soci_error& e, const BrokerInput& input) {
  const std::string message = e.get_error_message();
  if (input.name && (message.find("name") != std::string::npos)) {
    return Conflict("a broker named '" + *input.name + "' already exists");
  }
  return Conflict("another broker was made the default at the same time; retry");
}

// Whether `update` changes where or how the stored password would travel
// on the next connection test: another host, port or protocol, TLS turned
// off or certificate checks turned off. Without the password in the same
// request, such an update drops it, so an admin token cannot point the
// broker at a listener of its own and read the write-only password back
// through POST /brokers/{id}/test.
bool MovesThePassword(const BrokerConfig& stored, const BrokerInput& update) {
  if (stored.password.empty()) return false;
  return (update.host && *update.host != stored.host) ||
         (update.port && *update.port != stored.port) ||
         (update.protocol && *update.protocol != stored.protocol) ||
         (update.use_tls && !*update.use_tls && stored.use_tls) ||
         (update.verify_certificate && !*update.verify_certificate && stored.verify_certificate);
}

std::string Plural(long long n, const char* noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

}  // namespace

PublicBroker ToPublicBroker(const BrokerConfig& b) {
  PublicBroker p;
  p.id = b.id;
  p.name = b.name;
  p.description = b.description;
  p.protocol = b.protocol;
  p.host = b.host;
  p.port = b.port;
  p.path = b.path;
  p.username = b.username;
  p.use_tls = b.use_tls;
  p.ca_cert = b.ca_cert;
  p.client_cert = b.client_cert;
  p.verify_certificate = b.verify_certificate;
  p.client_id_prefix = b.client_id_prefix;
  p.keep_alive = b.keep_alive;
  p.clean_session = b.clean_session;
  p.reconnect_period = b.reconnect_period;
  p.connect_timeout = b.connect_timeout;
  p.is_active = b.is_active;
  p.is_default = b.is_default;
  p.broker_type = b.broker_type;
  p.region = b.region;
  p.weight = b.weight;
  p.has_password = !b.password.empty();
  p.has_client_key = !b.client_key.empty();
  p.has_extra_config = !b.extra_config.empty();
  p.backup_broker_ids = b.backup_broker_ids;
  if (const auto bundle = InspectCaBundle(b.ca_cert)) {
    p.ca_certs = bundle->certificates;
    p.ca_cert_expires_at = bundle->earliest_not_after;
    p.ca_cert_expiring_soon = CaExpiresSoon(*bundle, std::chrono::system_clock::now());
  }
  return p;
}

void ValidateBrokerInput(const BrokerInput& in, BrokerValidation mode) {
  if (mode == BrokerValidation::kCreate) {
    if (!in.name) throw ValidationError("name", "name is required");
    if (!in.host) throw ValidationError("host", "host is required");
  }
  if (in.name) CheckText("name", *in.name, 1, 255);
  if (in.description)
    CheckText("description", *in.description, 0, kDescriptionChars, TextKind::kMultiLine);
  if (in.protocol && !OneOf(*in.protocol, {"mqtt", "mqtts", "ws", "wss"})) {
    throw ValidationError("protocol", "protocol must be one of mqtt, mqtts, ws, wss");
  }
  if (in.host) CheckHost(*in.host);
  if (in.port) CheckRange("port", *in.port, 1, 65535);
  if (in.path) {
    CheckText("path", *in.path, 0, kPathChars);
    if (!in.path->empty() && (in.path->front() != '/' || in.path->find(' ') != std::string::npos ||
                              in.path->find_first_of("?#") != std::string::npos)) {
      throw ValidationError("path", "path must start with '/' and contain no spaces, '?' or '#'");
    }
  }
  if (in.username) CheckText("username", *in.username, 0, kUsernameChars);
  if (in.password) CheckText("password", *in.password, 0, kPasswordChars);
  if (in.ca_cert) {
    CheckText("ca_cert", *in.ca_cert, 0, kCaCertChars, TextKind::kMultiLine);
    if (!in.ca_cert->empty()) ParseCaBundle(*in.ca_cert);
  }
  if (in.client_cert) {
    CheckText("client_cert", *in.client_cert, 0, kCertChars, TextKind::kMultiLine);
  }
  if (in.client_key) CheckText("client_key", *in.client_key, 0, kCertChars, TextKind::kMultiLine);
  if (in.client_id_prefix) {
    CheckText("client_id_prefix", *in.client_id_prefix, 0, kClientIdPrefixChars);
  }
  if (in.keep_alive) CheckRange("keep_alive", *in.keep_alive, 1, kMaxKeepAlive);
  if (in.reconnect_period) CheckRange("reconnect_period", *in.reconnect_period, 0, kIntMax);
  if (in.connect_timeout) CheckRange("connect_timeout", *in.connect_timeout, 1, kIntMax);
  if (in.broker_type && !OneOf(*in.broker_type, {"local", "cloud", "edge", "test"})) {
    throw ValidationError("broker_type", "broker_type must be one of local, cloud, edge, test");
  }
  if (in.region) CheckText("region", *in.region, 0, kRegionChars);
  if (in.weight) CheckRange("weight", *in.weight, 1, kIntMax);
  if (in.extra_config) {
    CheckText("extra_config", *in.extra_config, 0, kExtraConfigChars, TextKind::kMultiLine);
    if (!in.extra_config->empty()) CheckJson(*in.extra_config);
  }
  if (in.backup_broker_ids) {
    const std::vector<std::int64_t>& ids = *in.backup_broker_ids;
    if (ids.size() > kMaxBackupBrokers) {
      throw ValidationError(
          "backup_broker_ids",
          "backup_broker_ids: at most " + std::to_string(kMaxBackupBrokers) + " backups");
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] <= 0) {
        throw ValidationError("backup_broker_ids",
                              "backup_broker_ids: broker ids are positive integers");
      }
      if (std::find(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(i), ids[i]) !=
          ids.begin() + static_cast<std::ptrdiff_t>(i)) {
        throw ValidationError("backup_broker_ids", "backup_broker_ids: broker " +
                                                       std::to_string(ids[i]) + " is listed twice");
      }
    }
  }
}

PublicBroker Brokers::Create(const BrokerInput& input) {
  ValidateBrokerInput(input, BrokerValidation::kCreate);
  Storage::Lease lease = storage_.Acquire();
  soci::session& sql = *lease;
  try {
    WriteTransaction tx(storage_, sql);
    const std::string now = UtcNowIso8601();
    ThrowIfNameTaken(sql, *input.name, 0);
    CheckBackupsExist(sql, input, 0);
    if (input.is_default.value_or(false)) ClearOtherDefault(sql, 0, now);
    Assignments values = AssignmentsFor(input, storage_.secrets());
    values.Now("created_at", now);
    values.Now("updated_at", now);
    long long id = 0;
    RunStatement(sql,
                 "INSERT INTO mqtt_broker_config (" + values.ColumnList() + ") VALUES (" +
                     values.PlaceholderList() + ") RETURNING id",
                 values, [&id](soci::statement& st) { st.exchange(soci::into(id)); });
    auto created = LoadPublic(sql, id);
    tx.Commit();
    return *created;
  } catch (const soci::soci_error& e) {
    // Two writers racing (PostgreSQL: both passed the checks above).
    if (IsUniqueViolation(e)) throw UniqueConflict(e, input);
    RethrowStorageFailure(sql);
  }
}

PublicBroker Brokers::Get(std::int64_t id) {
  std::optional<PublicBroker> out;
  ReadWithRetry(storage_, [&](soci::session& sql) { out = LoadPublic(sql, id); });
  if (!out) throw NotFound("no broker with id " + std::to_string(id));
  return *out;
}

std::vector<PublicBroker> Brokers::List() {
  std::vector<PublicBroker> out;
  ReadWithRetry(storage_, [&](soci::session& sql) {
    out.clear();
    std::vector<long long> ids;
    long long id = 0;
    soci::statement st =
        (sql.prepare << "SELECT id FROM mqtt_broker_config ORDER BY id", soci::into(id));
    st.execute();
    while (st.fetch()) ids.push_back(id);
    // Brokers are few (tens): one read per row keeps the column list in
    // broker_rows.cc only.
    for (long long each : ids) {
      if (auto broker = LoadPublic(sql, each)) out.push_back(std::move(*broker));
    }
  });
  return out;
}

PublicBroker Brokers::Update(std::int64_t id, const BrokerInput& request) {
  ValidateBrokerInput(request, BrokerValidation::kUpdate);
  const long long key = id;
  Storage::Lease lease = storage_.Acquire();
  soci::session& sql = *lease;
  BrokerInput input = request;
  try {
    WriteTransaction tx(storage_, sql);
    const std::optional<BrokerConfig> stored = LoadBrokerById(sql, key);
    if (!stored) throw NotFound("no broker with id " + std::to_string(id));
    if (!input.password && MovesThePassword(*stored, input)) {
      input.password = std::string();  // stored as NULL
    }
    const std::string now = UtcNowIso8601();
    if (input.name) ThrowIfNameTaken(sql, *input.name, key);
    CheckBackupsExist(sql, input, key);
    if (input.is_default.value_or(false)) ClearOtherDefault(sql, key, now);
    Assignments values = AssignmentsFor(input, storage_.secrets());
    values.Now("updated_at", now);
    RunStatement(sql, "UPDATE mqtt_broker_config SET " + values.SetList() + " WHERE id = :id",
                 values, [&key](soci::statement& st) { st.exchange(soci::use(key)); });
    auto updated = LoadPublic(sql, key);
    tx.Commit();
    return *updated;
  } catch (const soci::soci_error& e) {
    if (IsUniqueViolation(e)) throw UniqueConflict(e, input);
    RethrowStorageFailure(sql);
  }
}

void Brokers::Delete(std::int64_t id) {
  const long long key = id;
  Storage::Lease lease = storage_.Acquire();
  soci::session& sql = *lease;
  try {
    WriteTransaction tx(storage_, sql);
    if (!Exists(sql, key)) throw NotFound("no broker with id " + std::to_string(id));
    long long devices = 0;
    long long fleets = 0;
    sql << "SELECT COUNT(*) FROM devices WHERE mqtt_broker_id = :id", soci::use(key),
        soci::into(devices);
    sql << "SELECT COUNT(*) FROM fleets WHERE mqtt_broker_id = :id", soci::use(key),
        soci::into(fleets);
    if (devices > 0 || fleets > 0) {
      throw Conflict("broker " + std::to_string(id) + " is in use by " + Plural(devices, "device") +
                     " and " + Plural(fleets, "fleet") + ": reassign them first");
    }
    RemoveFromBackupLists(sql, key, UtcNowIso8601());
    sql << "DELETE FROM mqtt_broker_config WHERE id = :id", soci::use(key);
    tx.Commit();
  } catch (const soci::soci_error&) {
    RethrowStorageFailure(sql);
  }
}

std::vector<BrokerUsage> Brokers::Summary() {
  std::vector<BrokerUsage> out;
  ReadWithRetry(storage_, [&](soci::session& sql) {
    out.clear();
    BrokerUsage row;
    long long id = 0, devices = 0, fleets = 0, connected = 0, in_sync = 0;
    int active = 0, is_default = 0;
    std::string ca_cert;
    soci::indicator ca_cert_ind = soci::i_null;
    soci::statement st =
        (sql.prepare << std::string(
                            "SELECT b.id, b.name, b.is_active, b.is_default, "
                            "(SELECT COUNT(*) FROM devices d WHERE d.mqtt_broker_id = b.id), "
                            "(SELECT COUNT(*) FROM fleets f WHERE f.mqtt_broker_id = b.id), "
                            "(SELECT COUNT(*) FROM device_reports r "
                            "WHERE r.broker_id = b.id AND r.connected = 1), "
                            "(SELECT COUNT(*) FROM device_reports r JOIN devices ON devices.id = "
                            "r.device_id WHERE r.broker_id = b.id AND r.connected = 1 AND ") +
                            DeviceInSync() + "), b.ca_cert FROM mqtt_broker_config b ORDER BY b.id",
         soci::into(id), soci::into(row.name), soci::into(active), soci::into(is_default),
         soci::into(devices), soci::into(fleets), soci::into(connected), soci::into(in_sync),
         soci::into(ca_cert, ca_cert_ind));
    st.execute();
    const auto now = std::chrono::system_clock::now();
    while (st.fetch()) {
      const auto bundle =
          ca_cert_ind == soci::i_ok ? InspectCaBundle(ca_cert) : std::optional<CaBundleInfo>();
      row.ca_cert_expires_at = bundle ? bundle->earliest_not_after : std::string();
      row.ca_cert_expiring_soon = bundle && CaExpiresSoon(*bundle, now);
      row.id = id;
      row.is_active = active != 0;
      row.is_default = is_default != 0;
      row.device_count = devices;
      row.fleet_count = fleets;
      row.connected_count = connected;
      row.in_sync_count = in_sync;
      out.push_back(row);
    }
  });
  return out;
}

std::vector<std::pair<std::string, CaBundleInfo>> Brokers::CaBundles() {
  std::vector<std::pair<std::string, CaBundleInfo>> out;
  ReadWithRetry(storage_, [&](soci::session& sql) {
    out.clear();
    std::string name;
    std::string ca_cert;
    soci::statement st = (sql.prepare << "SELECT name, ca_cert FROM mqtt_broker_config "
                                         "WHERE ca_cert IS NOT NULL ORDER BY id",
                          soci::into(name), soci::into(ca_cert));
    st.execute();
    while (st.fetch()) {
      if (auto bundle = InspectCaBundle(ca_cert)) out.emplace_back(name, *bundle);
    }
  });
  return out;
}

BrokerConfig Brokers::LoadWithSecretsForProbe(std::int64_t id) {
  std::optional<BrokerConfig> out;
  ReadWithRetry(storage_, [&](soci::session& sql) { out = LoadBrokerById(sql, id); });
  if (!out) throw NotFound("no broker with id " + std::to_string(id));
  return *out;
}

}  // namespace switchboard
