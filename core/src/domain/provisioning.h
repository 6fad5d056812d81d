// Provisioning: device registration (`POST /api/v1/device/register`) and a
// device's own view of its broker (`GET /api/v1/device/{uuid}/mqtt`).
//
// Register() in order, one named step each (provisioning.cc):
//   1. ValidateRegistration: every field (ValidationError naming the JSON
//      field);
//   2. AuthenticateKey: finds the provisioning key by SHA-256, outside any
//      transaction (unknown → Unauthorized; revoked or expired → Forbidden;
//      exhausted → Forbidden unless the uuid is already registered: a retry
//      counts nothing);
//   3. PrepareSecrets: the MQTT password, its Mosquitto PBKDF2 hash, the API
//      key hash and the topics, before any transaction starts (CPU work
//      outside the write lock);
//   4. in ONE write transaction (BEGIN IMMEDIATE on SQLite):
//      - WriteDeviceRows: inserts the device in the key's fleet (INSERT …
//        ON CONFLICT (uuid) DO NOTHING); when the uuid is already
//        registered: same deviceApiKey → idempotent retry (same device, new
//        MQTT password, nothing counted), another key → Conflict. Upserts
//        its MQTT user (`device_<uuid>`) and its ACL rows from the topic
//        templates (on PostgreSQL the same statement as the device:
//        registration_writes.h);
//      - ResolveInTransaction: the chain on the same session, so the device
//        is visible to the storage-backed steps. A Reject or no broker is
//        returned as a ChainRefusal and nothing is committed;
//      - CountAndCommit: for a new device, counts against the key with one
//        conditional UPDATE (never past max_devices, whatever the
//        concurrency; exhausted, revoked or expired meanwhile → Forbidden),
//        then commits. Last, so that on PostgreSQL the key row's lock is
//        held only until the COMMIT;
//   5. NoteNewDevice: counts the new device for the table statistics
//      (AccessTableStatistics, registration_writes.h).
//   Any failure rolls back: nothing is ever left half-written.
//
// Thread-safe: each call leases its own session. The chain is passed per
// call (the caller holds ChainHolder::Current() for the request).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "domain/chain_refusal.h"
#include "domain/client_broker_config.h"
#include "domain/device_view.h"
#include "domain/domain_errors.h"
#include "engine/chain.h"
#include "health/health_view.h"
#include "storage/registration_writes.h"
#include "storage/storage.h"
#include "switchboard/logger.h"

namespace switchboard {

// The JSON body of a registration; field names in comments.
struct RegistrationRequest {
  std::string uuid;                          // uuid: 8-4-4-4-12 hex, any case; stored lowercase
  std::string device_name;                   // deviceName: 1..255 characters
  std::string device_type;                   // deviceType: 1..128 characters
  std::string device_api_key;                // deviceApiKey: 16..256 characters
  std::optional<std::string> region;         // region: 1..255 characters
  std::optional<std::string> mac_address;    // macAddress: 1..64 characters
  std::optional<std::string> os_version;     // osVersion: 1..255 characters
  std::optional<std::string> agent_version;  // agentVersion: 1..255 characters
};

// Throws ValidationError naming the first bad field. Returns the request
// normalised (uuid lowercased).
RegistrationRequest ValidateRegistration(const RegistrationRequest& request);

// The `mqtt` object of the responses: what the device is told (DeviceView,
// device_view.h: username, broker, brokerConfig, topics, failover,
// reconnect, refreshAfterSeconds), its JSON text and configVersion, and how
// it was resolved.
struct DeviceMqttAccess : DeviceView {
  std::string password;        // registration only: the clear password, shown once; empty otherwise
  std::string view_json;       // DeviceViewJson(*this): the response is built from it
  std::string config_version;  // ConfigVersionOf(view_json)
  std::string resolved_by;     // the deciding plugin (X-Switchboard-Resolver)
  std::vector<TraceStep> trace;  // the whole resolution, the `health` step included
};

struct RegistrationResult {
  std::int64_t id = 0;
  std::string uuid;  // lowercase
  std::string device_name;
  std::string device_type;
  std::string fleet_id;
  std::string created_at;
  DeviceMqttAccess mqtt;
  bool retried = false;  // an idempotent retry of an earlier registration
};

// "device_<uuid>": the MQTT username of a device.
std::string MqttUsername(const std::string& uuid);

// The topic templates with `{uuid}` replaced by the uuid and `{username}` by
// MqttUsername(uuid), in template order, duplicates dropped. (`{username}`
// lets the export write Mosquitto `pattern` lines: mosquitto_export.h.)
std::vector<std::string> ExpandTopics(const std::vector<std::string>& templates,
                                      const std::string& uuid);

class ProvisioningService {
 public:
  // All three must outlive the service. `log` gets one line per failed
  // registration step, never a secret.
  // `analyze_after`: see AccessTableStatistics (registration_writes.h).
  ProvisioningService(Storage& storage, ProvisioningConfig provisioning, Logger& log,
                      std::int64_t analyze_after = AccessTableStatistics::kDefaultAfter)
      : storage_(storage),
        topics_(std::move(provisioning)),
        log_(log),
        statistics_(analyze_after) {}

  // The brokers' health that orders every endpoint list
  // (engine/endpoint_list.h). Call before the first request; `health` must
  // outlive the service. Without one every broker's health is unknown (the
  // order the chain and the backups give).
  void UseHealthView(const HealthView* health) { health_ = health; }

  // `provisioning_key`: the bearer token as presented. Returns the
  // registration, or the chain's refusal (nothing written). Throws
  // ValidationError, Unauthorized, Forbidden (the key's refusals), Conflict,
  // StorageUnavailable (see above).
  OrRefusal<RegistrationResult> Register(const Chain& chain, const std::string& provisioning_key,
                                         const RegistrationRequest& request);

  // The device's current broker, freshly resolved, without a password, or
  // the chain's refusal. Unknown uuid or wrong key → Unauthorized (never
  // says which). Throws StorageUnavailable. When the answer's configVersion
  // or the config_version it was resolved at differs from what the device
  // was last handed, records it (RecordServedConfig, device_reports.h; a
  // failed write is logged, the answer stands).
  OrRefusal<DeviceMqttAccess> DeviceMqtt(const Chain& chain, const std::string& uuid,
                                         const std::string& presented_api_key);

 private:
  Storage& storage_;
  const ProvisioningConfig topics_;  // topics, reconnect, refresh_after
  Logger& log_;
  const HealthView* health_ = nullptr;
  AccessTableStatistics statistics_;
};

}  // namespace switchboard
