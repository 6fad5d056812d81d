// Registration and the device's MQTT view. The order of the steps, and why
// each is where it is, is documented in provisioning.h and docs/domain.md.
#include "domain/provisioning.h"

#include <soci/soci.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "domain/devices.h"
#include "domain/domain_errors.h"
#include "domain/provisioning_keys.h"
#include "domain/validation.h"
#include "engine/resolve_context.h"
#include "storage/config_snapshot.h"
#include "storage/device_read_pipeline.h"
#include "storage/registration_writes.h"
#include "storage/session_cache.h"
#include "storage/sql_errors.h"
#include "util/crypto.h"
#include "util/text.h"
#include "util/time.h"

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
    std::int64_t config_version = -1;  // stays -1 on a session Storage does not pool
    key = FindProvisioningKeyByHash(sql, key_hash, &config_version);
    // The chain runs inside the write transaction, where the broker cache
    // is never loaded: bring it up to date here, outside it.
    if (key && config_version >= 0) PrimeConfigSnapshot(sql, config_version);
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
  NewDeviceRows rows;
  rows.uuid = request.uuid;
  rows.device_name = request.device_name;
  rows.device_type = request.device_type;
  rows.fleet_id = key->fleet_id;
  rows.api_key_hash = api_key_hash;
  rows.region = request.region;
  rows.mac_address = request.mac_address;
  rows.os_version = request.os_version;
  rows.agent_version = request.agent_version;
  rows.provisioned_by_key_id = key->id;
  rows.username = username;
  rows.password_hash = password_hash;
  rows.acls = AclRows(publish, subscribe);

  // Run again (at most once each) when the row that blocked the INSERT
  // vanished before it could be read (deleted in between), or when a step
  // of the chain aborted the PostgreSQL transaction (see
  // TransactionResolveContext): then with a savepoint around the steps.
  bool vanished_once = false;
  bool guard_steps = false;
  for (;;) {
    Storage::Lease lease = storage_.Acquire();
    soci::session& sql = *lease;
    try {
      WriteTransaction tx(storage_, sql);
      // Read with the device row, inside the transaction, for the chain's
      // broker reads below (config_snapshot.h).
      std::optional<std::int64_t> config_version;
      rows.now = UtcNowIso8601();
      RegistrationResult result;
      // Insert first: a new device (the common case) costs one statement on
      // PostgreSQL, and a concurrent first registration of the same uuid
      // waits for the other transaction and then finds its row instead of
      // failing on the UNIQUE index.
      std::optional<DeviceRecord> device;
      if (const std::optional<long long> id = InsertDeviceWithAccess(sql, rows, &config_version)) {
        DeviceRecord created;
        created.id = *id;
        created.uuid = rows.uuid;
        created.device_name = rows.device_name;
        created.device_type = rows.device_type;
        created.fleet_id = rows.fleet_id;
        created.region = rows.region.value_or("");
        created.provisioned_by_key_id = rows.provisioned_by_key_id;
        created.mac_address = rows.mac_address.value_or("");
        created.os_version = rows.os_version.value_or("");
        created.agent_version = rows.agent_version.value_or("");
        created.created_at = rows.now;
        created.updated_at = rows.now;
        device = std::move(created);
      } else {
        std::string stored_api_key_hash;
        device = LoadDeviceRecord(sql, request.uuid, &stored_api_key_hash, &config_version);
        if (!device) {
          if (!std::exchange(vanished_once, true)) continue;
          throw Conflict("the device with this uuid changed during registration; retry");
        }
        if (!VerifyDeviceApiKey(request.device_api_key, stored_api_key_hash)) {
          throw Conflict("a device with this uuid is already registered with another deviceApiKey");
        }
        result.retried = true;
        UpsertDeviceAccess(sql, device->id, rows);
      }

      // Resolve inside the transaction, on this session: the new row is
      // visible to the storage-backed steps, and nothing is committed unless
      // a broker was found.
      const Device resolver_device = ToResolverDevice(*device);
      TransactionResolveContext context(resolver_device, sql, log_, guard_steps);
      if (config_version) context.brokers().NoteConfigVersion(sql, *config_version);
      Resolution resolution = chain.Resolve(context);
      if (!context.Finish()) {
        // With the savepoint set, Finish() rolls back to it: never twice.
        if (std::exchange(guard_steps, true)) throw std::logic_error("registration: step abort");
        continue;  // ~WriteTransaction rolls back
      }
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
      // Counted last, with the commit: on PostgreSQL the UPDATE locks the
      // key's row until COMMIT, and every registration with this key waits
      // for that lock (registration_writes.h).
      if (result.retried) {
        tx.Commit();
      } else if (!CountAgainstKeyAndCommit(sql, tx, rows.provisioned_by_key_id, rows.now)) {
        tx.Rollback();
        auto current = FindProvisioningKeyByHash(sql, key_hash);
        std::string refusal = current ? ProvisioningKeyRefusal(*current, rows.now, true) : "";
        throw Forbidden(refusal.empty() ? "provisioning key can register no more devices"
                                        : refusal);
      }

      if (!result.retried) statistics_.NoteNewDevice(sql, log_);

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
  if (DeviceReadPipeline* pipeline = storage_.device_reads()) {
    // PostgreSQL: the device row comes batched with other requests'
    // (device_read_pipeline.h). Steps that read storage lease a pooled
    // session; the broker cache answers theirs without a query.
    const std::optional<DeviceReadPipeline::Row> row = pipeline->Find(key);
    authorized =
        VerifyDeviceApiKey(presented_api_key, row ? row->api_key_hash : DummyApiKeyHash()) &&
        row.has_value();
    if (authorized) {
      StorageResolveContext context(storage_, row->device, log_);
      context.brokers().NoteConfigVersionReadElsewhere(row->config_version);
      resolution = chain.Resolve(context);
    }
  } else {
    ReadWithRetry(storage_, [&](soci::session& sql) {
      // The config_version read in the same statement as the device serves
      // the chain's broker and fleet reads (config_snapshot.h): one query
      // in all.
      std::string stored_hash;
      std::optional<std::int64_t> config_version;
      const std::optional<Device> device =
          LoadDeviceAndKeyHash(sql, key, &stored_hash, &config_version);
      authorized =
          VerifyDeviceApiKey(presented_api_key, device ? stored_hash : DummyApiKeyHash()) &&
          device.has_value();
      if (!authorized) return;
      // Autocommit reads: no transaction to protect, so the plain context.
      PreparedResolveContext context(*device, sql, log_);
      if (config_version) context.brokers().NoteConfigVersion(sql, *config_version);
      resolution = chain.Resolve(context);
    });
  }
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
