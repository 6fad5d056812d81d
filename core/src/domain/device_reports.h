// What devices report about themselves (`PUT /api/v1/device/{uuid}/state`,
// docs/api.md): the last report per device, and which broker each is on.
// Operators read the reports with their devices (Devices::List and
// Devices::GetWithReport, devices.h).
//
// Thread-safe: every call leases its own session from the Storage pool.
// Errors (domain_errors.h): ValidationError naming the JSON field,
// Unauthorized, NotFound, StorageUnavailable.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engine/resolve_context.h"
#include "storage/storage.h"

namespace soci {
class session;
}

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
  bool in_sync = false;  // the in-sync rule (below), at the time of the read
};

// In sync: the device's last report carries the configVersion the server
// last handed it (devices.served_config_version, written by
// RecordServedConfig), and that answer was resolved at the current
// config_version counter, so no broker or fleet has changed since. An
// operator edit of the device clears what was handed out. What this does
// not see until the device's next fetch: a change of broker health or of
// the chain's YAML (docs/api.md, "inSync").
//
// One rule, spelled for the two ways a query reaches the report; each is a
// SQL condition on a row of `devices` (named `devices`), never NULL.
// DeviceInSync() looks the report up (EXISTS): the brokers summary.
// JoinedReportInSync(r) reads it from the report row joined as `r`
// (`LEFT JOIN device_reports r ON r.device_id = devices.id`): the device
// reads and the list's filter. PostgreSQL plans the EXISTS form, in a
// select list or under NOT, as a hash of the whole report table per query,
// ten times the cost of a 1,000-row page of the list.
const std::string& DeviceInSync();
std::string JoinedReportInSync(std::string_view report);

// Records that the device `device_id` was handed `version`, resolved at
// config_version `counter` (nullopt: read the current one first), on the
// caller's session and transaction, if any. Never replaces what an answer
// resolved at a later counter recorded. Throws soci::soci_error.
void RecordServedConfig(soci::session& sql, std::int64_t device_id, const std::string& version,
                        std::optional<std::int64_t> counter);

// Whether RecordServedConfig is needed after handing out `version`
// resolved at `counter`, given what was recorded before.
inline bool ServedConfigChanged(const ServedConfig& recorded, const std::string& version,
                                std::optional<std::int64_t> counter) {
  return recorded.version != version || !counter || recorded.counter != counter;
}

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

 private:
  Storage& storage_;
};

}  // namespace switchboard
