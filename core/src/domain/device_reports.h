// What devices report about themselves (`PUT /api/v1/device/{uuid}/state`,
// docs/api.md): the last report per device, and which broker each is on.
//
// Thread-safe: every call leases its own session from the Storage pool.
// Errors (domain_errors.h): ValidationError naming the JSON field,
// Unauthorized, NotFound, StorageUnavailable.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "storage/storage.h"

namespace switchboard {

// One report, as the device sends it (JSON names in comments).
struct StateReport {
  std::string config_version;                // configVersion: 1..256 characters, any value
  bool connected = false;                    // connected
  std::string broker;                        // broker: an MQTT URL (ParseBrokerUrl)
  std::optional<std::string> last_error;     // lastError: up to 1024 characters
  std::optional<std::string> agent_version;  // agentVersion: 1..255 characters
};

// A stored report.
struct StoredReport {
  StateReport report;
  std::optional<std::int64_t> broker_id;  // the stored broker `broker` names, if any
  std::string reported_at;
};

// Throws ValidationError naming the first bad field.
void ValidateStateReport(const StateReport& report);

class DeviceReports {
 public:
  // `storage` must outlive this object.
  explicit DeviceReports(Storage& storage) : storage_(storage) {}

  // Authenticates the device by its API key, then reads the report with
  // `read_report` (called only for an authenticated device, so a stranger
  // learns nothing from a body error; what it throws passes through) and
  // stores it as the device's last one (replacing the previous) with
  // reported_at = now. A connected
  // report whose broker URL names a stored broker records the broker's
  // last connection time. An unknown uuid and a wrong key get the same
  // Unauthorized after the same work (one key check each). A
  // configVersion the server never issued is stored as is (the device is
  // then not in sync). Nothing is written on any error. Throws
  // Unauthorized, ValidationError, StorageUnavailable.
  void Record(const std::string& uuid, const std::string& presented_api_key,
              const std::function<StateReport()>& read_report);

  // The device's last report; nullopt when it never reported. Throws
  // NotFound for an unknown uuid.
  std::optional<StoredReport> Last(const std::string& uuid);

 private:
  Storage& storage_;
};

}  // namespace switchboard
