// Registration and the device's MQTT view. The order of the steps, and why
// each is where it is, is documented in provisioning.h and docs/domain.md.
#include "provisioning.h"

#include <soci/soci.h>

#include <algorithm>

#include "config_snapshot.h"
#include "crypto.h"
#include "devices.h"
#include "domain_errors.h"
#include "domain_support.h"
#include "provisioning_keys.h"
#include "resolve_context.h"
#include "session_cache.h"

namespace switchboard {
namespace {

constexpr std::size_t kUuidLength = 36;

bool IsCanonicalUuid(const std::string& uuid) {
  if (uuid.size() != kUuidLength) return false;
  for (std::size_t i = 0; i < uuid.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    const char c = uuid[i];
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (dash_position ? c != '-' : !hex) return false;
  }
  return true;
}

// Empty optional strings count as absent (stored NULL).
void CheckOptional(const char* field, const std::optional<std::string>& value,
                   std::size_t max_chars) {
  if (value && !value->empty()) CheckText(field, *value, 1, max_chars);
}

struct AclRow {
  std::string topic;
  std::string access;  // write | read | readwrite
};

// publish → write, subscribe → read, both → readwrite; template order.
std::vector<AclRow> AclRows(const std::vector<std::string>& publish,
                            const std::vector<std::string>& subscribe) {
  auto contains = [](const std::vector<std::string>& list, const std::string& topic) {
    return std::find(list.begin(), list.end(), topic) != list.end();
  };
  std::vector<AclRow> rows;
  for (const auto& topic : publish) {
    rows.push_back({topic, contains(subscribe, topic) ? "readwrite" : "write"});
  }
  for (const auto& topic : subscribe) {
    if (!contains(publish, topic)) rows.push_back({topic, "read"});
  }
  return rows;
}

// The device's MQTT user: inserted, or (an idempotent retry, or a user row
// left by an earlier device with this uuid) given the new password.
// is_active is left as an operator set it.
//
// This statement, the ACL insert, the key count and the device insert are
// prepared once per pooled session (session_cache.h): on SQLite a prepare
// inside the write lock is most of a registration's time under it, on
// PostgreSQL a prepared-then-deallocated statement costs three round trips.
struct UpsertMqttUserStatement {
  explicit UpsertMqttUserStatement(soci::session& sql)
      : st((sql.prepare << "INSERT INTO mqtt_users (username, password_hash, device_id, "
                           "created_at, updated_at) VALUES (:username, :hash, :device, :created, "
                           ":updated) ON CONFLICT (username) DO UPDATE SET password_hash = "
                           "excluded.password_hash, device_id = excluded.device_id, updated_at = "
                           "excluded.updated_at",
            soci::use(username), soci::use(password_hash), soci::use(device_id), soci::use(now),
            soci::use(now))) {}
  std::string username, password_hash, now;
  long long device_id = 0;
  soci::statement st;
};

void UpsertMqttUser(soci::session& sql, const std::string& username,
                    const std::string& password_hash, long long device_id, const std::string& now) {
  if (SessionCache* cache = SessionCacheFor(sql)) {
    auto& q = cache->Get<UpsertMqttUserStatement>(sql);
    q.username = username;
    q.password_hash = password_hash;
    q.device_id = device_id;
    q.now = now;
    q.st.execute(true);
    return;
  }
  sql << "INSERT INTO mqtt_users (username, password_hash, device_id, created_at, updated_at) "
         "VALUES (:username, :hash, :device, :created, :updated) "
         "ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, "
         "device_id = excluded.device_id, updated_at = excluded.updated_at",
      soci::use(username), soci::use(password_hash), soci::use(device_id), soci::use(now),
      soci::use(now);
}

// One prepared statement, executed once per row. Rows already present (a
// retry) are kept.
struct InsertAclStatement {
  explicit InsertAclStatement(soci::session& sql)
      : st((sql.prepare << "INSERT INTO mqtt_acls (username, topic, access) "
                           "VALUES (:username, :topic, :access) ON CONFLICT DO NOTHING",
            soci::use(username), soci::use(topic), soci::use(access))) {}
  std::string username, topic, access;
  soci::statement st;
};

void InsertAcls(soci::session& sql, const std::string& username, const std::vector<AclRow>& rows) {
  if (rows.empty()) return;
  if (SessionCache* cache = SessionCacheFor(sql)) {
    auto& q = cache->Get<InsertAclStatement>(sql);
    q.username = username;
    for (const auto& row : rows) {
      q.topic = row.topic;
      q.access = row.access;
      q.st.execute(true);
    }
    return;
  }
  std::string topic, access;
  soci::statement st = (sql.prepare << "INSERT INTO mqtt_acls (username, topic, access) "
                                       "VALUES (:username, :topic, :access) "
                                       "ON CONFLICT DO NOTHING",
                        soci::use(username), soci::use(topic), soci::use(access));
  for (const auto& row : rows) {
    topic = row.topic;
    access = row.access;
    st.execute(true);
  }
}

// Counts one device against the key, atomically: the WHERE clause re-checks
// every limit under the row lock the UPDATE takes, so concurrent
// registrations can never push devices_provisioned past max_devices.
struct CountAgainstKeyStatement {
  explicit CountAgainstKeyStatement(soci::session& sql)
      : st((sql.prepare << "UPDATE provisioning_keys SET devices_provisioned = "
                           "devices_provisioned + 1, last_used_at = :now WHERE id = :id AND "
                           "is_active = 1 AND (expires_at IS NULL OR expires_at > :now2) AND "
                           "(max_devices IS NULL OR devices_provisioned < max_devices)",
            soci::use(now), soci::use(key_id), soci::use(now))) {}
  std::string now;
  long long key_id = 0;
  soci::statement st;
};

bool CountAgainstKey(soci::session& sql, long long key_id, const std::string& now) {
  if (SessionCache* cache = SessionCacheFor(sql)) {
    auto& q = cache->Get<CountAgainstKeyStatement>(sql);
    q.now = now;
    q.key_id = key_id;
    q.st.execute(true);
    return q.st.get_affected_rows() == 1;
  }
  soci::statement st =
      (sql.prepare << "UPDATE provisioning_keys SET devices_provisioned = devices_provisioned + 1, "
                      "last_used_at = :now WHERE id = :id AND is_active = 1 "
                      "AND (expires_at IS NULL OR expires_at > :now2) "
                      "AND (max_devices IS NULL OR devices_provisioned < max_devices)",
       soci::use(now), soci::use(key_id), soci::use(now));
  st.execute(true);
  return st.get_affected_rows() == 1;
}

// Register()'s device insert (see there), prepared once per pooled session.
struct InsertDeviceStatement {
  explicit InsertDeviceStatement(soci::session& sql)
      : st((sql.prepare << "INSERT INTO devices (uuid, device_name, device_type, fleet_id, "
                           "region, api_key_hash, provisioned_by_key_id, mac_address, os_version, "
                           "agent_version, created_at, updated_at) VALUES (:uuid, :name, :type, "
                           ":fleet, :region, :hash, :key, :mac, :os, :agent, :created, :updated) "
                           "ON CONFLICT (uuid) DO NOTHING RETURNING id",
            soci::use(uuid), soci::use(name), soci::use(type), soci::use(fleet),
            soci::use(region, region_ind), soci::use(hash), soci::use(key_id),
            soci::use(mac, mac_ind), soci::use(os, os_ind), soci::use(agent, agent_ind),
            soci::use(now), soci::use(now), soci::into(id))) {}
  std::string uuid, name, type, fleet, region, hash, mac, os, agent, now;
  soci::indicator region_ind = soci::i_null, mac_ind = soci::i_null, os_ind = soci::i_null,
                  agent_ind = soci::i_null;
  long long key_id = 0, id = 0;
  soci::statement st;
};

std::string RejectMessage(const Resolution& resolution) {
  const std::string plugin = resolution.trace.empty() ? "chain" : resolution.trace.back().plugin;
  return "rejected by the resolution chain (plugin/" + plugin + "): " + resolution.reason;
}

// Fills the broker part of `access` from a Resolved resolution.
void FillBroker(DeviceMqttAccess& access, Resolution& resolution) {
  const BrokerConfig& broker = *resolution.broker;
  access.broker = BrokerUrl(broker);
  if (broker.from_storage) access.broker_config = ToClientBrokerConfig(broker);
  access.resolved_by = resolution.resolved_by;
  access.trace = std::move(resolution.trace);
}

// A well-formed hash no key matches: verifying against it when the uuid is
// unknown makes that answer take as long as a wrong key.
const std::string& DummyApiKeyHash() {
  static const std::string hash = HashDeviceApiKey("switchboard-unknown-device-key");
  return hash;
}

}  // namespace

std::string MqttUsername(const std::string& uuid) { return "device_" + uuid; }

std::vector<std::string> ExpandTopics(const std::vector<std::string>& templates,
                                      const std::string& uuid) {
  static const std::string kPlaceholder = "{uuid}";
  std::vector<std::string> out;
  for (std::string topic : templates) {
    for (auto at = topic.find(kPlaceholder); at != std::string::npos;
         at = topic.find(kPlaceholder, at + uuid.size())) {
      topic.replace(at, kPlaceholder.size(), uuid);
    }
    if (std::find(out.begin(), out.end(), topic) == out.end()) out.push_back(std::move(topic));
  }
  return out;
}

RegistrationRequest ValidateRegistration(const RegistrationRequest& request) {
  RegistrationRequest out = request;
  if (request.uuid.empty()) throw ValidationError("uuid", "uuid is required");
  if (!IsCanonicalUuid(request.uuid)) {
    throw ValidationError("uuid",
                          "uuid must be a UUID: 36 characters, 8-4-4-4-12 hexadecimal digits");
  }
  out.uuid = ToLowerAscii(request.uuid);
  CheckText("deviceName", request.device_name, 1, 255);
  CheckText("deviceType", request.device_type, 1, 128);
  if (request.device_api_key.empty()) {
    throw ValidationError("deviceApiKey", "deviceApiKey is required");
  }
  CheckText("deviceApiKey", request.device_api_key, 16, 256);
  CheckOptional("region", request.region, 255);
  CheckOptional("macAddress", request.mac_address, 64);
  CheckOptional("osVersion", request.os_version, 255);
  CheckOptional("agentVersion", request.agent_version, 255);
  return out;
}

RegistrationResult ProvisioningService::Register(const Chain& chain,
                                                 const std::string& provisioning_key,
                                                 const RegistrationRequest& raw_request) {
  const RegistrationRequest request = ValidateRegistration(raw_request);
  if (provisioning_key.empty()) throw Unauthorized("missing provisioning key");

  // The key, read outside any transaction: unknown, revoked and expired keys
  // never take the write lock.
  const std::string key_hash = Sha256Hex(provisioning_key);
  std::optional<ProvisioningKeyInfo> key;
  bool device_exists = false;
  ReadWithRetry(storage_, [&](soci::session& sql) {
    key = FindProvisioningKeyByHash(sql, key_hash);
    // An exhausted key may still serve an idempotent retry: look the uuid up
    // only then.
    if (key && !ProvisioningKeyRefusal(*key, UtcNowIso8601(), true).empty()) {
      device_exists = LoadDeviceRecord(sql, request.uuid).has_value();
    }
  });
  if (!key) throw Unauthorized("invalid provisioning key");
  if (auto refusal = ProvisioningKeyRefusal(*key, UtcNowIso8601(), !device_exists);
      !refusal.empty()) {
    throw Forbidden(refusal);
  }

  // CPU work before the transaction: PBKDF2 and hashing hold no lock.
  const std::string username = MqttUsername(request.uuid);
  const std::string password = RandomToken(kMqttPasswordBytes);
  const std::string password_hash = MosquittoPasswordHash(password);
  const std::string api_key_hash = HashDeviceApiKey(request.device_api_key);
  std::vector<std::string> publish = ExpandTopics(topics_.publish_topics, request.uuid);
  std::vector<std::string> subscribe = ExpandTopics(topics_.subscribe_topics, request.uuid);
  const std::vector<AclRow> acls = AclRows(publish, subscribe);

  // Nullable columns of the new row, bound by reference below.
  const long long key_id = key->id;
  auto nullable = [](const std::optional<std::string>& v) {
    return std::pair<std::string, soci::indicator>(v.value_or(""),
                                                   v && !v->empty() ? soci::i_ok : soci::i_null);
  };
  auto region = nullable(request.region);
  auto mac = nullable(request.mac_address);
  auto os = nullable(request.os_version);
  auto agent = nullable(request.agent_version);

  DeviceRecord created;
  created.uuid = request.uuid;
  created.device_name = request.device_name;
  created.device_type = request.device_type;
  created.fleet_id = key->fleet_id;
  created.region = region.first;
  created.provisioned_by_key_id = key_id;
  created.mac_address = mac.first;
  created.os_version = os.first;
  created.agent_version = agent.first;

  // A second attempt only when the row that blocked the INSERT vanished
  // before it could be read (deleted in between).
  for (int attempt = 0;; ++attempt) {
    Storage::Lease lease = storage_.Acquire();
    soci::session& sql = *lease;
    try {
      WriteTransaction tx(storage_, sql);
      const std::string now = UtcNowIso8601();
      RegistrationResult result;
      // Insert first: a new device (the common case) costs one statement,
      // and a concurrent first registration of the same uuid (PostgreSQL)
      // waits for the other transaction and then finds its row instead of
      // failing on the UNIQUE index.
      long long id = 0;
      bool inserted = false;
      if (SessionCache* cache = SessionCacheFor(sql)) {
        auto& q = cache->Get<InsertDeviceStatement>(sql);
        q.uuid = request.uuid;
        q.name = request.device_name;
        q.type = request.device_type;
        q.fleet = key->fleet_id;
        q.region = region.first;
        q.region_ind = region.second;
        q.hash = api_key_hash;
        q.key_id = key_id;
        q.mac = mac.first;
        q.mac_ind = mac.second;
        q.os = os.first;
        q.os_ind = os.second;
        q.agent = agent.first;
        q.agent_ind = agent.second;
        q.now = now;
        inserted = q.st.execute(true);
        id = q.id;
        // Reset before COMMIT: SQLite refuses to commit while a RETURNING
        // statement is still open (the insert itself is done at its first step).
        FinishSingleRow(sql, q.st);
      } else {
        soci::statement insert =
            (sql.prepare
                 << "INSERT INTO devices (uuid, device_name, device_type, fleet_id, region, "
                    "api_key_hash, provisioned_by_key_id, mac_address, os_version, "
                    "agent_version, created_at, updated_at) VALUES (:uuid, :name, :type, "
                    ":fleet, :region, :hash, :key, :mac, :os, :agent, :created, :updated) "
                    "ON CONFLICT (uuid) DO NOTHING RETURNING id",
             soci::use(request.uuid), soci::use(request.device_name),
             soci::use(request.device_type), soci::use(key->fleet_id),
             soci::use(region.first, region.second), soci::use(api_key_hash), soci::use(key_id),
             soci::use(mac.first, mac.second), soci::use(os.first, os.second),
             soci::use(agent.first, agent.second), soci::use(now), soci::use(now), soci::into(id));
        // Destroyed (finalized) before COMMIT: SQLite refuses to commit while
        // a RETURNING statement is still open.
        inserted = insert.execute(true);
      }
      std::optional<DeviceRecord> device;
      if (inserted) {
        created.id = id;
        created.created_at = now;
        created.updated_at = now;
        device = created;
      } else {
        std::string stored_api_key_hash;
        device = LoadDeviceRecord(sql, request.uuid, &stored_api_key_hash);
        if (!device) {
          if (attempt == 0) continue;
          throw Conflict("the device with this uuid changed during registration; retry");
        }
        if (!VerifyDeviceApiKey(request.device_api_key, stored_api_key_hash)) {
          throw Conflict("a device with this uuid is already registered with another deviceApiKey");
        }
        result.retried = true;
      }
      UpsertMqttUser(sql, username, password_hash, device->id, now);
      InsertAcls(sql, username, acls);

      // Resolve inside the transaction, on this session: the new row is
      // visible to the storage-backed steps, and nothing is committed unless
      // a broker was found.
      const Device resolver_device = ToResolverDevice(*device);
      TransactionResolveContext context(resolver_device, sql, log_);
      Resolution resolution = chain.Resolve(context);
      context.Finish();
      if (resolution.rejected) {
        log_.Info("registration of device " + request.uuid + " rejected: " + resolution.reason);
        const std::string message = RejectMessage(resolution);  // before the move
        throw ChainRejected(message, std::move(resolution));
      }
      if (!resolution.broker) {
        log_.Warn("registration of device " + request.uuid + " refused: " + resolution.reason);
        const std::string message = resolution.reason;
        throw ChainFoundNoBroker(message, std::move(resolution));
      }
      // Counted last: on PostgreSQL the UPDATE locks the key's row until
      // COMMIT, and every registration with this key waits for that lock.
      if (!result.retried && !CountAgainstKey(sql, key_id, now)) {
        auto current = FindProvisioningKeyByHash(sql, key_hash);
        std::string refusal = current ? ProvisioningKeyRefusal(*current, now, true) : "";
        throw Forbidden(refusal.empty() ? "provisioning key can register no more devices"
                                        : refusal);
      }
      tx.Commit();

      result.id = device->id;
      result.uuid = device->uuid;
      result.device_name = device->device_name;
      result.device_type = device->device_type;
      result.fleet_id = device->fleet_id;
      result.created_at = device->created_at;
      result.mqtt.username = username;
      result.mqtt.password = password;
      result.mqtt.publish_topics = publish;
      result.mqtt.subscribe_topics = subscribe;
      FillBroker(result.mqtt, resolution);
      return result;
    } catch (const soci::soci_error&) {
      RethrowStorageFailure(sql);
    }
  }
}

DeviceMqttAccess ProvisioningService::DeviceMqtt(const Chain& chain, const std::string& uuid,
                                                 const std::string& presented_api_key) {
  if (presented_api_key.empty()) throw Unauthorized("missing device API key");
  const std::string key = ToLowerAscii(uuid);
  bool authorized = false;
  Resolution resolution;
  ReadWithRetry(storage_, [&](soci::session& sql) {
    // Opened before the device is read: the config_version read in the same
    // statement then serves the chain's broker and fleet reads
    // (config_snapshot.h), one query in all.
    ResolutionScope scope;
    std::string stored_hash;
    const std::optional<Device> device = LoadDeviceAndKeyHash(sql, key, &stored_hash);
    authorized = VerifyDeviceApiKey(presented_api_key, device ? stored_hash : DummyApiKeyHash()) &&
                 device.has_value();
    if (!authorized) return;
    // Autocommit reads: no transaction to protect, so the plain context.
    PreparedResolveContext context(*device, sql, log_);
    resolution = chain.Resolve(context);
  });
  if (!authorized) throw Unauthorized("unknown device or wrong device API key");
  if (resolution.rejected) {
    const std::string message = RejectMessage(resolution);  // before the move
    throw ChainRejected(message, std::move(resolution));
  }
  if (!resolution.broker) {
    const std::string message = resolution.reason;
    throw ChainFoundNoBroker(message, std::move(resolution));
  }

  DeviceMqttAccess access;
  access.username = MqttUsername(key);
  access.publish_topics = ExpandTopics(topics_.publish_topics, key);
  access.subscribe_topics = ExpandTopics(topics_.subscribe_topics, key);
  FillBroker(access, resolution);
  return access;
}

}  // namespace switchboard
