// Devices: the operator's view and edits of `devices` (docs/api.md
// `/api/v1/devices`). Devices are created only by registration
// (provisioning.h). Plain structs; the HTTP layer maps them to JSON with the
// column names as field names.
//
// Thread-safe: every call leases its own session from the Storage pool.
// Errors (domain_errors.h): ValidationError, NotFound, StorageUnavailable.
// Nothing here ever returns the device's API key hash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/device_reports.h"
#include "domain/validation.h"
#include "storage/storage.h"
#include "switchboard/device.h"

namespace soci {
class session;
}

namespace switchboard {

// One row of `devices`, without api_key_hash. Empty strings stand for NULL.
struct DeviceRecord {
  std::int64_t id = 0;
  std::string uuid;
  std::string device_name;
  std::string device_type;
  std::string fleet_id;
  std::string region;
  std::optional<std::int64_t> mqtt_broker_id;  // nullopt: the chain decides
  std::optional<std::int64_t> provisioned_by_key_id;
  std::string mac_address;
  std::string os_version;
  std::string agent_version;
  std::string created_at;
  std::string updated_at;
};

// A device with its last state report, as the operator's reads show it
// (`GET /api/v1/devices` and `GET /api/v1/devices/{uuid}`).
struct DeviceWithReport : DeviceRecord {
  std::optional<StoredReport> reported;  // nullopt until the device reports
};

// The resolver's view of a device (switchboard/device.h).
Device ToResolverDevice(const DeviceRecord& record);

// `PUT /api/v1/devices/{uuid}`: only the fields set change. JSON field names
// are the member names.
struct DeviceUpdate {
  std::optional<std::string> device_name;       // 1..255 characters
  NullableUpdate<std::string> region;           // null or "" clears
  NullableUpdate<std::string> fleet_id;         // must exist (ValidationError); null clears
  NullableUpdate<std::int64_t> mqtt_broker_id;  // must exist (ValidationError); null clears
};

inline constexpr std::int64_t kDefaultDevicePageSize = 100;
inline constexpr std::int64_t kMaxDevicePageSize = 1000;

// What `GET /api/v1/devices` may filter on; every set field must match
// (exactly, case included).
struct DeviceFilter {
  std::optional<std::string> fleet_id;
  std::optional<std::string> region;
  std::optional<std::int64_t> mqtt_broker_id;  // the device's own assignment
  // In sync as device_reports.h defines it (a device that never reported
  // is not); one comparison per row, so pages are exact.
  std::optional<bool> in_sync;
};

// One page of `GET /api/v1/devices?limit&after`.
struct DevicePage {
  std::vector<DeviceWithReport> devices;  // ordered by id
  // Pass as `after` to get the next page; nullopt on the last page.
  std::optional<std::int64_t> next_after;
};

// Loads one device by its (already lowercased) uuid on the caller's session;
// nullopt when there is none. When `api_key_hash` is not null it receives the
// stored hash (for verification only; never return it). On a pooled session
// the same statement reads config_version into `*config_version` (when not
// null; left alone otherwise), for a resolution that follows
// (StorageBrokerDirectory::NoteConfigVersion, storage/config_snapshot.h).
std::optional<DeviceRecord> LoadDeviceRecord(soci::session& sql, const std::string& uuid,
                                             std::string* api_key_hash = nullptr,
                                             std::optional<std::int64_t>* config_version = nullptr);

class Devices {
 public:
  // `storage` must outlive this object.
  explicit Devices(Storage& storage) : storage_(storage) {}

  // `uuid` is matched case-insensitively (stored lowercase). Throws NotFound.
  DeviceRecord Get(const std::string& uuid);

  // Get, with the device's last report read in the same statement as the
  // list reads it. Throws NotFound.
  DeviceWithReport GetWithReport(const std::string& uuid);

  // Throws ValidationError (field as in DeviceUpdate), NotFound.
  DeviceRecord Update(const std::string& uuid, const DeviceUpdate& update);

  // Devices with id > `after` (default 0) that match `filter`, at most
  // `limit` (1..1000, default 100) of them, each with its last report: one
  // statement for the page, whatever its size. Throws ValidationError on
  // `limit` or `after`.
  DevicePage List(std::optional<std::int64_t> limit, std::optional<std::int64_t> after,
                  const DeviceFilter& filter = {});

 private:
  Storage& storage_;
};

}  // namespace switchboard
