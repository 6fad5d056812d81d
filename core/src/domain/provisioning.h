// Provisioning: device registration (SPEC §4 `POST /api/v1/device/register`)
// and a device's own view of its broker (`GET /api/v1/device/{uuid}/mqtt`).
//
// Register() in order:
//   1. validates every field (ValidationError naming the JSON field);
//   2. finds the provisioning key by SHA-256, outside any transaction
//      (unknown → Unauthorized; revoked or expired → Forbidden; exhausted →
//      Forbidden unless the uuid is already registered: a retry counts
//      nothing);
//   3. computes the MQTT password, its Mosquitto PBKDF2 hash and the API key
//      hash before any transaction starts (CPU work outside the write lock);
//   4. in ONE write transaction (BEGIN IMMEDIATE on SQLite):
//      - inserts the device in the key's fleet (INSERT … ON CONFLICT (uuid)
//        DO NOTHING); when the uuid is already registered: same deviceApiKey
//        → idempotent retry (same device, new MQTT password, nothing
//        counted), another key → Conflict;
//      - upserts its MQTT user (`device_<uuid>`) and its ACL rows from the
//        topic templates (on PostgreSQL the same statement as the device:
//        registration_writes.h);
//      - resolves the broker with the chain on the same session, so the
//        device is visible to the storage-backed steps. Reject → Forbidden,
//        no broker → NoBroker;
//      - for a new device, counts against the key with one conditional
//        UPDATE (never past max_devices, whatever the concurrency; exhausted,
//        revoked or expired meanwhile → Forbidden). Last, so that on
//        PostgreSQL the key row's lock is held only until the COMMIT;
//      - commits.
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
#include "domain/client_broker_config.h"
#include "domain/domain_errors.h"
#include "engine/chain.h"
#include "storage/registration_writes.h"
#include "storage/storage.h"
#include "switchboard/logger.h"

namespace switchboard {

// What Register() and DeviceMqtt() throw when the chain decided against the
// device: a Forbidden / NoBroker that also carries the resolution (its
// trace, for `X-Switchboard-Resolver` and the metrics). The resolution has no
// broker, so no secret. Catching Forbidden / NoBroker catches these too.
class ChainRejected : public Forbidden {
 public:
  ChainRejected(const std::string& message, Resolution resolution)
      : Forbidden(message), resolution_(std::move(resolution)) {}
  const Resolution& resolution() const { return resolution_; }

 private:
  Resolution resolution_;
};

class ChainFoundNoBroker : public NoBroker {
 public:
  ChainFoundNoBroker(const std::string& message, Resolution resolution)
      : NoBroker(message), resolution_(std::move(resolution)) {}
  const Resolution& resolution() const { return resolution_; }

 private:
  Resolution resolution_;
};

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

// The `mqtt` object of the responses.
struct DeviceMqttAccess {
  std::string username;  // device_<uuid>
  std::string password;  // registration only: the clear password, shown once; empty otherwise
  std::string broker;    // BrokerUrl() of the resolved broker
  // Present iff the broker came from storage (SPEC §4). A whitelist type:
  // it cannot hold broker credentials, client_key or extra_config.
  std::optional<ClientBrokerConfig> broker_config;
  std::vector<std::string> publish_topics;
  std::vector<std::string> subscribe_topics;
  std::string resolved_by;       // the deciding plugin (X-Switchboard-Resolver)
  std::vector<TraceStep> trace;  // the whole resolution
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
  ProvisioningService(Storage& storage, ProvisioningConfig topics, Logger& log,
                      std::int64_t analyze_after = AccessTableStatistics::kDefaultAfter)
      : storage_(storage), topics_(std::move(topics)), log_(log), statistics_(analyze_after) {}

  // `provisioning_key`: the bearer token as presented. Throws
  // ValidationError, Unauthorized, Forbidden (key; ChainRejected for the
  // chain), Conflict, ChainFoundNoBroker, StorageUnavailable (see above).
  RegistrationResult Register(const Chain& chain, const std::string& provisioning_key,
                              const RegistrationRequest& request);

  // The device's current broker, freshly resolved, without a password.
  // Unknown uuid or wrong key → Unauthorized (never says which). Throws
  // ChainRejected, ChainFoundNoBroker, StorageUnavailable.
  DeviceMqttAccess DeviceMqtt(const Chain& chain, const std::string& uuid,
                              const std::string& presented_api_key);

 private:
  Storage& storage_;
  const ProvisioningConfig topics_;
  Logger& log_;
  AccessTableStatistics statistics_;
};

}  // namespace switchboard
