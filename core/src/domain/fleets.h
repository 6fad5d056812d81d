// Fleets: groups of devices that may share a broker (docs/api.md
// `/api/v1/fleets`). Plain structs; the HTTP layer maps them to JSON, with
// the column names (`id`, `name`, `mqtt_broker_id`) as field names.
//
// Thread-safe: every call leases its own session from the Storage pool.
// Errors (domain_errors.h): ValidationError, NotFound, Conflict,
// StorageUnavailable.
//
// Deleting a fleet that still has devices is a Conflict (move or delete the
// devices first), like deleting a broker in use. Its provisioning keys are
// deleted with it (the schema's ON DELETE CASCADE): they could only ever
// provision into that fleet. See docs/domain.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/validation.h"
#include "storage/storage.h"

namespace soci {
class session;
}

namespace switchboard {

struct Fleet {
  std::string id;
  std::string name;
  std::optional<std::int64_t> mqtt_broker_id;  // nullopt: none (the chain decides)
  std::int64_t device_count = 0;
  std::string created_at;
  std::string updated_at;
};

struct FleetInput {
  // Create: REQUIRED, 1..128 characters of [A-Za-z0-9._-] (it appears in
  // URLs and on command lines). Update: must be absent or equal to the id.
  std::optional<std::string> id;
  std::optional<std::string> name;  // 1..255 characters. Default on Create: the id
  // A broker that exists (else ValidationError on `mqtt_broker_id`); null clears.
  NullableUpdate<std::int64_t> mqtt_broker_id;
};

// Throws ValidationError(field) unless `id` is a valid fleet id (see above).
void ValidateFleetId(const std::string& id, const std::string& field);

// Inside the caller's open write transaction: creates fleet `id` with name =
// id unless it exists. Returns true when it created it. REQUIRES: a valid id.
bool EnsureFleetExists(soci::session& sql, const std::string& id, const std::string& now);

// True when fleet `id` exists (on the caller's session).
bool FleetExists(soci::session& sql, const std::string& id);

// True when broker `id` exists (on the caller's session).
bool BrokerExists(soci::session& sql, std::int64_t id);

class Fleets {
 public:
  // `storage` must outlive this object.
  explicit Fleets(Storage& storage) : storage_(storage) {}

  // Throws ValidationError, Conflict (id taken).
  Fleet Create(const FleetInput& input);
  // Throws NotFound.
  Fleet Get(const std::string& id);
  // Every fleet, ordered by id.
  std::vector<Fleet> List();
  // Partial update of name and mqtt_broker_id; updated_at refreshed. Throws
  // ValidationError, NotFound.
  Fleet Update(const std::string& id, const FleetInput& input);
  // Throws NotFound, or Conflict when devices still belong to the fleet.
  // Returns how many provisioning keys were deleted with it.
  std::int64_t Delete(const std::string& id);

 private:
  Storage& storage_;
};

}  // namespace switchboard
