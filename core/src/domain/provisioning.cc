// Registration and the device's MQTT view. The order of the steps, and why
// each is where it is, is documented in provisioning.h and docs/domain.md.
#include "domain/provisioning.h"

#include <soci/soci.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "domain/device_reports.h"
#include "domain/devices.h"
#include "domain/domain_errors.h"
#include "domain/failover_entries.h"
#include "domain/provisioning_keys.h"
#include "domain/validation.h"
#include "engine/endpoint_list.h"
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

// The health snapshot one resolution uses throughout: the same answers for
// the resolver's BrokerDirectory::Health() and the endpoint list.
std::shared_ptr<const HealthSnapshot> HealthNow(const HealthView* view) {
  static const auto kNone = std::make_shared<const HealthSnapshot>();
  return view != nullptr ? view->Current() : kNone;
}

// The settings every device is told, and how its broker was chosen: the
// part of the view both FillBroker forms share. Moves the trace out.
void FillSettings(DeviceMqttAccess& access, Resolution& resolution,
                  const ProvisioningConfig& config) {
  access.reconnect = config.reconnect;
  access.refresh_after_seconds = config.refresh_after.count() / 1000;
  access.resolved_by = resolution.resolved_by;
  access.trace = std::move(resolution.trace);
}

// Fills the broker part of `access` from a Resolved resolution whose
// endpoint list is built (AddEndpoints), and the settings every device is
// told. Consumes the endpoint list: each endpoint's device-visible fields
// (PEMs included) are moved into the view, not copied.
void FillBroker(DeviceMqttAccess& access, Resolution& resolution,
                const ProvisioningConfig& config) {
  if (resolution.endpoints.empty()) resolution.endpoints.push_back({*resolution.broker, {}});
  BrokerConfig& broker = resolution.endpoints.front().broker;
  access.broker = BrokerUrl(broker);
  if (broker.from_storage) access.broker_config = ToClientBrokerConfig(std::move(broker));
  access.failover.reserve(resolution.endpoints.size() - 1);
  for (std::size_t i = 1; i < resolution.endpoints.size(); ++i) {
    BrokerConfig& endpoint = resolution.endpoints[i].broker;
    FailoverEndpoint& out = access.failover.emplace_back();
    out.broker = BrokerUrl(endpoint);
    if (endpoint.from_storage) out.broker_config = ToClientBrokerConfig(std::move(endpoint));
  }
  resolution.endpoints.clear();
  FillSettings(access, resolution, config);
}

// FillBroker for the config fetch, from the list by reference
// (ListEndpoints): the resolution's brokers are moved from, and a backup read
// from the config snapshot is handed as its cached `failover` entry
// (failover_entries.h), never copied. Consumes `resolution` and `list`.
void FillBrokerFromList(DeviceMqttAccess& access, Resolution& resolution, EndpointRefs& list,
                        const ProvisioningConfig& config) {
  const EndpointRef& first = list.list.front();
  access.broker = BrokerUrl(first.broker());
  if (first.broker().from_storage) {
    // A backup leads only when the resolved broker is down: a copy then.
    access.broker_config = first.own != nullptr ? ToClientBrokerConfig(std::move(*first.own))
                                                : ToClientBrokerConfig(*first.row);
  }
  const FailoverEntries* entries = nullptr;
  access.failover.resize(list.list.size() - 1);
  for (std::size_t i = 1; i < list.list.size(); ++i) {
    const EndpointRef& endpoint = list.list[i];
    FailoverEndpoint& out = access.failover[i - 1];
    if (endpoint.row != nullptr) {
      if (entries == nullptr) entries = &FailoverEntriesOf(*list.snapshot);
      const auto it = entries->json.find(endpoint.row->id);
      if (it != entries->json.end()) {
        out.json = &it->second;
        continue;
      }
    }
    const BrokerConfig& broker = endpoint.broker();
    out.broker = BrokerUrl(broker);
    if (broker.from_storage) {
      out.broker_config = endpoint.own != nullptr ? ToClientBrokerConfig(std::move(*endpoint.own))
                                                  : ToClientBrokerConfig(broker);
    }
  }
  if (entries != nullptr) access.shared_entries = std::move(list.snapshot);
  list.list.clear();
  FillSettings(access, resolution, config);
}

// Last, once every field of the view is set.
void FinishView(DeviceMqttAccess& access) {
  access.view_json = DeviceViewJson(access);
  access.config_version = ConfigVersionOf(access.view_json);
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
  const std::string username = MqttUsername(uuid);
  const std::pair<std::string_view, const std::string*> placeholders[] = {
      {"{uuid}", &uuid}, {"{username}", &username}};
  std::vector<std::string> out;
  for (std::string topic : templates) {
    for (const auto& [placeholder, value] : placeholders) {
      for (auto at = topic.find(placeholder); at != std::string::npos;
           at = topic.find(placeholder, at + value->size())) {
        topic.replace(at, placeholder.size(), *value);
      }
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

namespace {

// Register()'s steps, in the order provisioning.h documents.

struct AuthenticatedKey {
  ProvisioningKeyInfo info;
  std::string hash;  // Sha256Hex of the presented key: CountAndCommit looks it up again
};

// Step 2. Read outside any transaction: unknown, revoked and expired keys
// never take the write lock.
AuthenticatedKey AuthenticateKey(Storage& storage, const std::string& provisioning_key,
                                 const std::string& uuid) {
  if (provisioning_key.empty()) throw Unauthorized("missing provisioning key");
  AuthenticatedKey out;
  out.hash = Sha256Hex(provisioning_key);
  std::optional<ProvisioningKeyInfo> key;
  bool device_exists = false;
  ReadWithRetry(storage, [&](soci::session& sql) {
    std::int64_t config_version = -1;  // stays -1 on a session Storage does not pool
    key = FindProvisioningKeyByHash(sql, out.hash, &config_version);
    // The chain runs inside the write transaction, where the broker cache
    // is never loaded: bring it up to date here, outside it.
    if (key && config_version >= 0) PrimeConfigSnapshot(sql, config_version);
    // An exhausted key may still serve an idempotent retry: look the uuid up
    // only then.
    if (key && !ProvisioningKeyRefusal(*key, UtcNowIso8601(), true).empty()) {
      device_exists = LoadDeviceRecord(sql, uuid).has_value();
    }
  });
  if (!key) throw Unauthorized("invalid provisioning key");
  if (auto refusal = ProvisioningKeyRefusal(*key, UtcNowIso8601(), !device_exists);
      !refusal.empty()) {
    throw Forbidden(refusal);
  }
  out.info = std::move(*key);
  return out;
}

// What step 3 computes before the transaction.
struct PreparedRegistration {
  NewDeviceRows rows;                  // hashes only; `now` is set per attempt
  std::string password;                // the MQTT password in clear, for the response only
  std::vector<std::string> publish;    // expanded topics, for the response
  std::vector<std::string> subscribe;  // likewise
};

// Step 3. CPU work before the transaction: PBKDF2 and hashing hold no lock.
PreparedRegistration PrepareSecrets(const RegistrationRequest& request,
                                    const ProvisioningKeyInfo& key,
                                    const ProvisioningConfig& topics) {
  PreparedRegistration out;
  out.password = RandomToken(kMqttPasswordBytes);
  out.publish = ExpandTopics(topics.publish_topics, request.uuid);
  out.subscribe = ExpandTopics(topics.subscribe_topics, request.uuid);
  NewDeviceRows& rows = out.rows;
  rows.uuid = request.uuid;
  rows.device_name = request.device_name;
  rows.device_type = request.device_type;
  rows.fleet_id = key.fleet_id;
  rows.api_key_hash = HashDeviceApiKey(request.device_api_key);
  rows.region = request.region;
  rows.mac_address = request.mac_address;
  rows.os_version = request.os_version;
  rows.agent_version = request.agent_version;
  rows.provisioned_by_key_id = key.id;
  rows.username = MqttUsername(request.uuid);
  rows.password_hash = MosquittoPasswordHash(out.password);
  rows.acls = AclRows(out.publish, out.subscribe);
  return out;
}

// The row InsertDeviceWithAccess just wrote, without reading it back.
DeviceRecord InsertedDevice(const NewDeviceRows& rows, long long id) {
  DeviceRecord created;
  created.id = id;
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
  return created;
}

struct WrittenDevice {
  DeviceRecord record;
  bool retried = false;  // the uuid was registered before, with this deviceApiKey
  // config_version, read in the statement that wrote or read the device:
  // the chain's broker reads need no query of their own (config_snapshot.h).
  std::optional<std::int64_t> config_version;
};

// Step 4a. Insert first: a new device (the common case) costs one statement
// on PostgreSQL, and a concurrent first registration of the same uuid waits
// for the other transaction and then finds its row instead of failing on
// the UNIQUE index. nullopt: the row that blocked the INSERT vanished before
// it could be read (deleted in between).
std::optional<WrittenDevice> WriteDeviceRows(soci::session& sql, const NewDeviceRows& rows,
                                             const std::string& device_api_key) {
  std::optional<std::int64_t> config_version;
  if (const std::optional<long long> id = InsertDeviceWithAccess(sql, rows, &config_version)) {
    return WrittenDevice{InsertedDevice(rows, *id), false, config_version};
  }
  std::string stored_api_key_hash;
  std::optional<DeviceRecord> existing =
      LoadDeviceRecord(sql, rows.uuid, &stored_api_key_hash, &config_version);
  if (!existing) return std::nullopt;
  // Checked before the device key: a key of another fleet learns nothing
  // about the device's key, and never re-issues its credentials.
  if (existing->fleet_id != rows.fleet_id) {
    throw Forbidden("a device with this uuid is registered in another fleet");
  }
  if (!VerifyDeviceApiKey(device_api_key, stored_api_key_hash)) throw DeviceKeyMismatch();
  UpsertDeviceAccess(sql, existing->id, rows);
  return WrittenDevice{std::move(*existing), true, config_version};
}

// Step 4b. Inside the transaction, on its session: the new row is visible to
// the storage-backed steps, and nothing is committed unless a broker was
// found. nullopt: a step aborted the PostgreSQL transaction (see
// TransactionResolveContext) and the attempt must run again, then with
// `guard_steps` (a savepoint around the steps).
std::optional<Resolution> ResolveInTransaction(const Chain& chain, const WrittenDevice& device,
                                               soci::session& sql, Logger& log, bool guard_steps,
                                               const HealthSnapshot& health) {
  const Device resolver_device = ToResolverDevice(device.record);
  TransactionResolveContext context(resolver_device, sql, log, guard_steps);
  if (device.config_version) context.brokers().NoteConfigVersion(sql, *device.config_version);
  context.brokers().UseHealth(&health);
  Resolution resolution = chain.Resolve(context);
  AddEndpoints(resolution, context.brokers(), health);
  // With the savepoint set, Finish() rolls back to it and answers true.
  if (!context.Finish()) return std::nullopt;
  return resolution;
}

// The refusal a registration answers when the chain gave no broker; the
// caller's transaction rolls back.
ChainRefusal RefuseRegistration(Logger& log, const std::string& uuid, Resolution resolution) {
  if (resolution.rejected) {
    log.Info("registration of device " + uuid + " rejected: " + resolution.reason);
  } else {
    log.Warn("registration of device " + uuid + " refused: " + resolution.reason);
  }
  return RefusalOf(std::move(resolution));
}

// Step 4c. Counted last, with the commit: on PostgreSQL the UPDATE locks the
// key's row until COMMIT, and every registration with this key waits for
// that lock (registration_writes.h). A retry counts nothing.
void CountAndCommit(soci::session& sql, WriteTransaction& tx, const NewDeviceRows& rows,
                    const std::string& key_hash, bool retried) {
  if (retried) {
    tx.Commit();
    return;
  }
  if (CountAgainstKeyAndCommit(sql, tx, rows.provisioned_by_key_id, rows.now)) return;
  tx.Rollback();
  const std::optional<ProvisioningKeyInfo> current = FindProvisioningKeyByHash(sql, key_hash);
  const std::string refusal = current ? ProvisioningKeyRefusal(*current, rows.now, true) : "";
  throw Forbidden(refusal.empty() ? "provisioning key can register no more devices" : refusal);
}

RegistrationResult RegistrationAnswer(WrittenDevice device, PreparedRegistration& prepared,
                                      Resolution& resolution, const ProvisioningConfig& config) {
  RegistrationResult result;
  result.id = device.record.id;
  result.uuid = std::move(device.record.uuid);
  result.device_name = std::move(device.record.device_name);
  result.device_type = std::move(device.record.device_type);
  result.fleet_id = std::move(device.record.fleet_id);
  result.created_at = std::move(device.record.created_at);
  result.retried = device.retried;
  result.mqtt.username = std::move(prepared.rows.username);
  result.mqtt.password = std::move(prepared.password);
  result.mqtt.publish_topics = std::move(prepared.publish);
  result.mqtt.subscribe_topics = std::move(prepared.subscribe);
  FillBroker(result.mqtt, resolution, config);
  FinishView(result.mqtt);
  return result;
}

}  // namespace

OrRefusal<RegistrationResult> ProvisioningService::Register(
    const Chain& chain, const std::string& provisioning_key,
    const RegistrationRequest& raw_request) {
  const RegistrationRequest request = ValidateRegistration(raw_request);
  const AuthenticatedKey key = AuthenticateKey(storage_, provisioning_key, request.uuid);
  PreparedRegistration prepared = PrepareSecrets(request, key.info, topics_);

  // Run the transaction again (at most once each) when WriteDeviceRows
  // found the blocking row gone, or when ResolveInTransaction found the
  // PostgreSQL transaction aborted by a step.
  bool vanished_once = false;
  bool guard_steps = false;
  const std::shared_ptr<const HealthSnapshot> health = HealthNow(health_);
  for (;;) {
    Storage::Lease lease = storage_.Acquire();
    soci::session& sql = *lease;
    try {
      WriteTransaction tx(storage_, sql);
      prepared.rows.now = UtcNowIso8601();
      std::optional<WrittenDevice> device =
          WriteDeviceRows(sql, prepared.rows, request.device_api_key);
      if (!device) {
        if (!std::exchange(vanished_once, true)) continue;  // ~WriteTransaction rolls back
        throw Conflict("the device with this uuid changed during registration; retry");
      }
      std::optional<Resolution> resolution =
          ResolveInTransaction(chain, *device, sql, log_, guard_steps, *health);
      if (!resolution) {
        // With the savepoint set, the steps cannot abort the transaction.
        if (std::exchange(guard_steps, true)) throw std::logic_error("registration: step abort");
        continue;
      }
      if (!resolution->broker) {
        return RefuseRegistration(log_, request.uuid, std::move(*resolution));
      }
      const bool retried = device->retried;
      const std::optional<std::int64_t> counter = device->config_version;
      RegistrationResult answer =
          RegistrationAnswer(std::move(*device), prepared, *resolution, topics_);
      // What the device is handed, in the same transaction (device_reports.h).
      RecordServedConfig(sql, answer.id, answer.mqtt.config_version, counter);
      CountAndCommit(sql, tx, prepared.rows, key.hash, retried);
      if (!retried) statistics_.NoteNewDevice(sql, log_);  // step 5
      return answer;
    } catch (const soci::soci_error&) {
      RethrowStorageFailure(sql);
    }
  }
}

OrRefusal<DeviceMqttAccess> ProvisioningService::DeviceMqtt(const Chain& chain,
                                                            const std::string& uuid,
                                                            const std::string& presented_api_key) {
  if (presented_api_key.empty()) throw Unauthorized("missing device API key");
  const std::string key = ToLowerAscii(uuid);
  bool authorized = false;
  Resolution resolution;
  EndpointRefs endpoints;  // points into `resolution`
  std::int64_t device_id = 0;
  ServedConfig served;
  std::optional<std::int64_t> counter;
  const std::shared_ptr<const HealthSnapshot> health = HealthNow(health_);
  if (DeviceReadPipeline* pipeline = storage_.device_reads()) {
    // PostgreSQL: the device row comes batched with other requests'
    // (device_read_pipeline.h). Steps that read storage lease a pooled
    // session; the broker cache answers theirs without a query.
    const std::optional<DeviceReadPipeline::Row> row = pipeline->Find(key);
    authorized =
        VerifyDeviceApiKey(presented_api_key, row ? row->api_key_hash : DummyApiKeyHash()) &&
        row.has_value();
    if (authorized) {
      device_id = row->device.id;
      served = row->served;
      counter = row->config_version;
      StorageResolveContext context(storage_, row->device, log_);
      context.brokers().NoteConfigVersionReadElsewhere(row->config_version);
      context.brokers().UseHealth(health.get());
      resolution = chain.Resolve(context);
      endpoints = ListEndpoints(resolution, context.brokers(), *health);
    }
  } else {
    ReadWithRetry(storage_, [&](soci::session& sql) {
      // The config_version read in the same statement as the device serves
      // the chain's broker and fleet reads (config_snapshot.h): one query
      // in all.
      std::string stored_hash;
      std::optional<std::int64_t> config_version;
      const std::optional<Device> device =
          LoadDeviceAndKeyHash(sql, key, &stored_hash, &config_version, &served);
      authorized =
          VerifyDeviceApiKey(presented_api_key, device ? stored_hash : DummyApiKeyHash()) &&
          device.has_value();
      if (!authorized) return;
      device_id = device->id;
      counter = config_version;
      // Autocommit reads: no transaction to protect, so the plain context.
      PreparedResolveContext context(*device, sql, log_);
      if (config_version) context.brokers().NoteConfigVersion(sql, *config_version);
      context.brokers().UseHealth(health.get());
      resolution = chain.Resolve(context);
      endpoints = ListEndpoints(resolution, context.brokers(), *health);
    });
  }
  if (!authorized) throw Unauthorized("unknown device or wrong device API key");
  if (!resolution.broker) return RefusalOf(std::move(resolution));

  DeviceMqttAccess access;
  access.username = MqttUsername(key);
  access.publish_topics = ExpandTopics(topics_.publish_topics, key);
  access.subscribe_topics = ExpandTopics(topics_.subscribe_topics, key);
  FillBrokerFromList(access, resolution, endpoints, topics_);
  FinishView(access);
  if (ServedConfigChanged(served, access.config_version, counter)) {
    // Only when what the device is handed changed (device_reports.h): a
    // fetch that repeats the last answer, 200 or 304, writes nothing. A
    // failed write costs the answer nothing; the device counts as not in
    // sync until a later fetch records it.
    try {
      storage_.WithRetry([&](soci::session& sql) {
        RecordServedConfig(sql, device_id, access.config_version, counter);
      });
    } catch (const StorageUnavailable& error) {
      log_.Warn("device " + key +
                ": cannot record the config it was handed: " + std::string(error.what()));
    } catch (const soci::soci_error&) {  // its text may hold SQL: not logged
      log_.Warn("device " + key + ": cannot record the config it was handed: database error");
    }
  }
  return access;
}

}  // namespace switchboard
