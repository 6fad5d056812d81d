#include "domain/device_reports.h"

#include <soci/soci.h>

#include "domain/domain_errors.h"
#include "domain/validation.h"
#include "engine/resolve_context.h"
#include "storage/config_snapshot.h"
#include "storage/sql_errors.h"
#include "switchboard/broker.h"
#include "util/crypto.h"
#include "util/text.h"
#include "util/time.h"

namespace switchboard {

namespace {

constexpr char kServedAtCurrentCounter[] =
    "COALESCE(devices.served_config_counter, 0) = (SELECT version FROM config_version WHERE id = "
    "1)";

std::string CarriesServedVersion(std::string_view report) {
  return std::string(report) + ".config_version = devices.served_config_version";
}

}  // namespace

const std::string& DeviceInSync() {
  static const std::string rule = std::string("(") + kServedAtCurrentCounter +
                                  " AND EXISTS (SELECT 1 FROM device_reports ir WHERE "
                                  "ir.device_id = devices.id AND " +
                                  CarriesServedVersion("ir") + "))";
  return rule;
}

std::string JoinedReportInSync(std::string_view report) {
  // No joined report: NULL = … is NULL, which COALESCE turns into false.
  return std::string("COALESCE(") + kServedAtCurrentCounter + " AND " +
         CarriesServedVersion(report) + ", FALSE)";
}
namespace {

// A well-formed hash no key matches, so an unknown uuid costs one key check
// like a wrong key (the same as the config fetch's).
const std::string& DummyHash() {
  static const std::string hash = HashDeviceApiKey("switchboard-unknown-device-key");
  return hash;
}

// The stored broker whose URL is `url` (the lowest id when several share
// it), from the broker cache at `version`; nullopt when none does or the
// tables are too big to cache.
std::optional<std::int64_t> BrokerIdOfUrl(Storage& storage, soci::session& sql,
                                          std::int64_t version, const std::string& url) {
  const std::shared_ptr<const ConfigSnapshot> snapshot =
      storage.config_snapshots().AtLeast(sql, version);
  if (!snapshot) return std::nullopt;
  std::optional<std::int64_t> found;
  for (const auto& [id, broker] : snapshot->brokers) {
    if ((!found || id < *found) && BrokerUrl(broker) == url) found = id;
  }
  return found;
}

}  // namespace

void ValidateStateReport(const StateReport& report) {
  CheckText("configVersion", report.config_version, 1, 256);
  std::string why;
  if (!ParseBrokerUrl(report.broker, &why)) {
    throw ValidationError("broker",
                          "broker must be an MQTT URL (mqtt://, mqtts://, ws://, wss://): " + why);
  }
  if (report.last_error) {
    CheckText("lastError", *report.last_error, 0, 1024, TextKind::kMultiLine);
  }
  if (report.agent_version) CheckText("agentVersion", *report.agent_version, 1, 255);
}

void DeviceReports::Record(const std::string& uuid, const std::string& presented_api_key,
                           const std::function<StateReport()>& read_report) {
  if (presented_api_key.empty()) throw Unauthorized("missing device API key");
  const std::string key = ToLowerAscii(uuid);
  std::optional<Device> device;
  std::optional<std::int64_t> version;
  Storage::Lease lease = storage_.Acquire();
  soci::session& sql = *lease;
  try {
    std::string stored_hash;
    device = LoadDeviceAndKeyHash(sql, key, &stored_hash, &version);
    const bool authorized =
        VerifyDeviceApiKey(presented_api_key, device ? stored_hash : DummyHash()) &&
        device.has_value();
    if (!authorized) throw Unauthorized("unknown device or wrong device API key");
    const StateReport report = read_report();
    ValidateStateReport(report);

    // The URL as BrokerUrl() writes it, so any spelling of the same
    // endpoint (scheme case, default port) finds its broker.
    const std::string canonical = BrokerUrl(*ParseBrokerUrl(report.broker, nullptr));
    std::optional<std::int64_t> broker_id;
    if (version) broker_id = BrokerIdOfUrl(storage_, sql, *version, canonical);

    const std::string now = UtcNowIso8601();
    long long device_id = device->id;
    int connected = report.connected ? 1 : 0;
    long long broker = broker_id.value_or(0);
    soci::indicator broker_ind = broker_id ? soci::i_ok : soci::i_null;
    std::string last_error = report.last_error.value_or("");
    soci::indicator error_ind = report.last_error ? soci::i_ok : soci::i_null;
    std::string agent_version = report.agent_version.value_or("");
    soci::indicator agent_ind = report.agent_version ? soci::i_ok : soci::i_null;
    std::string config_version = report.config_version;
    std::string reported_broker = report.broker;
    // Autocommit statements, no transaction: each is complete on its own,
    // and a report is the device's latest word, not a ledger.
    sql << "INSERT INTO device_reports (device_id, config_version, connected, broker, broker_id, "
           "last_error, agent_version, reported_at) VALUES (:d, :v, :c, :b, :bi, :e, :a, :t) "
           "ON CONFLICT (device_id) DO UPDATE SET config_version = excluded.config_version, "
           "connected = excluded.connected, broker = excluded.broker, "
           "broker_id = excluded.broker_id, last_error = excluded.last_error, "
           "agent_version = excluded.agent_version, reported_at = excluded.reported_at",
        soci::use(device_id), soci::use(config_version), soci::use(connected),
        soci::use(reported_broker), soci::use(broker, broker_ind), soci::use(last_error, error_ind),
        soci::use(agent_version, agent_ind), soci::use(now);
    if (report.connected && broker_id) {
      sql << "INSERT INTO broker_connections (broker_id, last_connected_at) VALUES (:b, :t) "
             "ON CONFLICT (broker_id) DO UPDATE SET last_connected_at = excluded.last_connected_at",
          soci::use(broker), soci::use(now);
    }
  } catch (const soci::soci_error&) {
    RethrowStorageFailure(sql);
  }
}

void RecordServedConfig(soci::session& sql, std::int64_t device_id, const std::string& version,
                        std::optional<std::int64_t> counter) {
  long long at = 0;
  if (counter) {
    at = *counter;
  } else {
    sql << "SELECT version FROM config_version WHERE id = 1", soci::into(at);
  }
  long long id = device_id;
  long long not_after = at;
  std::string served = version;
  sql << "UPDATE devices SET served_config_version = :v, served_config_counter = :c "
         "WHERE id = :id AND (served_config_counter IS NULL OR served_config_counter <= :c2)",
      soci::use(served), soci::use(at), soci::use(id), soci::use(not_after);
}

}  // namespace switchboard
