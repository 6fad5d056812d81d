// Provisioning keys: the bearer secrets device agents register with
// (`/api/v1/provisioning-keys` in docs/api.md).
//
// A key is RandomToken(32) (256 bits), shown in clear once by Create() and
// stored only as its SHA-256 hex. Lookup is by that hash through the UNIQUE
// index (O(1) whatever the number of keys) and the stored hash is compared
// with ConstantTimeEquals. Nothing else here returns the key or its hash.
//
// Thread-safe: every call leases its own session from the Storage pool.
// Errors (domain_errors.h): ValidationError (JSON field names: fleetId,
// maxDevices, expiresInDays, description), NotFound, StorageUnavailable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/storage.h"

namespace soci {
class session;
}

namespace switchboard {

struct ProvisioningKeyRequest {
  // REQUIRED. A fleet id (fleets.h rules). When no such fleet exists it is
  // created with name = id in the same transaction, so `switchboard keys
  // create --fleet F` works on an empty database.
  std::string fleet_id;
  std::optional<std::int64_t> max_devices;      // 1..2^31-1; nullopt: unlimited
  std::optional<std::int64_t> expires_in_days;  // 1..36500; nullopt: never expires
  std::optional<std::string> description;       // 0..1000 characters
};

// A key as listed: never the key, never its hash. Empty strings stand for
// NULL.
struct ProvisioningKeyInfo {
  std::int64_t id = 0;
  std::string fleet_id;
  std::string description;
  std::optional<std::int64_t> max_devices;  // nullopt: unlimited
  std::int64_t devices_provisioned = 0;
  std::string expires_at;  // ISO-8601 UTC; empty: never
  bool is_active = true;   // false: revoked
  std::string created_at;
  std::string last_used_at;  // empty: never used
};

// What Create() returns: the only time the clear key exists.
struct CreatedProvisioningKey {
  ProvisioningKeyInfo info;
  std::string key;             // 43 URL-safe base64 characters; store it, it cannot be shown again
  bool fleet_created = false;  // the fleet did not exist and was created
};

// Why `key` cannot register a new device at `now` (ISO-8601 UTC):
// "provisioning key revoked", "... expired", "... exhausted (N of N devices)";
// empty when it can. With `new_device` false the device count is not
// checked (an idempotent retry counts nothing).
std::string ProvisioningKeyRefusal(const ProvisioningKeyInfo& key, const std::string& now,
                                   bool new_device);

// Finds the key whose hash is Sha256Hex(presented) on the caller's session;
// nullopt when there is none. `key_hash` is the already computed hash. On a
// pooled session the same statement reads config_version into
// `*config_version` (when not null and the key was found).
std::optional<ProvisioningKeyInfo> FindProvisioningKeyByHash(
    soci::session& sql, const std::string& key_hash, std::int64_t* config_version = nullptr);

class ProvisioningKeys {
 public:
  // `storage` must outlive this object.
  explicit ProvisioningKeys(Storage& storage) : storage_(storage) {}

  // Throws ValidationError.
  CreatedProvisioningKey Create(const ProvisioningKeyRequest& request);

  // Every key, or only those of one fleet, ordered by id. Revoked and
  // expired keys included (is_active / expires_at say so).
  std::vector<ProvisioningKeyInfo> List(const std::optional<std::string>& fleet_id);

  // Sets is_active = 0; revoking a revoked key is not an error. Throws
  // NotFound.
  void Revoke(std::int64_t id);

  // The key `presented` (clear text), or nullopt when no key matches.
  std::optional<ProvisioningKeyInfo> Lookup(std::string_view presented);

 private:
  Storage& storage_;
};

}  // namespace switchboard
