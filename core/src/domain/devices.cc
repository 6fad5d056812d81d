// The column list of `devices` for the domain layer lives here, and the
// columns of `device_reports` that the operator's device reads show.
#include "domain/devices.h"

#include <soci/soci.h>

#include <climits>
#include <functional>

#include "domain/device_reports.h"
#include "domain/domain_errors.h"
#include "domain/fleets.h"
#include "storage/config_snapshot.h"
#include "storage/session_cache.h"
#include "storage/sql_errors.h"
#include "util/text.h"
#include "util/time.h"

namespace switchboard {
namespace {

// Qualified: the operator's reads join device_reports, which has columns
// of the same names (agent_version).
constexpr char kDeviceColumns[] =
    "devices.id, devices.uuid, devices.device_name, devices.device_type, devices.fleet_id, "
    "devices.region, devices.mqtt_broker_id, devices.provisioned_by_key_id, devices.mac_address, "
    "devices.os_version, devices.agent_version, devices.created_at, devices.updated_at, "
    "devices.api_key_hash";

// One fetched row: values and the indicators of the nullable columns.
struct DeviceRow {
  long long id = 0, broker_id = 0, key_id = 0;
  std::string uuid, device_name, device_type, fleet_id, region, mac_address, os_version,
      agent_version, created_at, updated_at, api_key_hash;
  soci::indicator fleet_ind{}, region_ind{}, broker_ind{}, key_ind{}, mac_ind{}, os_ind{},
      agent_ind{};

  void Bind(soci::statement& st) {
    st.exchange(soci::into(id));
    st.exchange(soci::into(uuid));
    st.exchange(soci::into(device_name));
    st.exchange(soci::into(device_type));
    st.exchange(soci::into(fleet_id, fleet_ind));
    st.exchange(soci::into(region, region_ind));
    st.exchange(soci::into(broker_id, broker_ind));
    st.exchange(soci::into(key_id, key_ind));
    st.exchange(soci::into(mac_address, mac_ind));
    st.exchange(soci::into(os_version, os_ind));
    st.exchange(soci::into(agent_version, agent_ind));
    st.exchange(soci::into(created_at));
    st.exchange(soci::into(updated_at));
    st.exchange(soci::into(api_key_hash));
  }

  DeviceRecord ToRecord() const {
    // SOCI leaves a NULL column's variable untouched: map NULL to "".
    auto text = [](const std::string& value, soci::indicator ind) {
      return ind == soci::i_ok ? value : std::string();
    };
    auto number = [](long long value, soci::indicator ind) {
      return ind == soci::i_ok ? std::optional<std::int64_t>(value) : std::nullopt;
    };
    DeviceRecord r;
    r.id = id;
    r.uuid = uuid;
    r.device_name = device_name;
    r.device_type = device_type;
    r.fleet_id = text(fleet_id, fleet_ind);
    r.region = text(region, region_ind);
    r.mqtt_broker_id = number(broker_id, broker_ind);
    r.provisioned_by_key_id = number(key_id, key_ind);
    r.mac_address = text(mac_address, mac_ind);
    r.os_version = text(os_version, os_ind);
    r.agent_version = text(agent_version, agent_ind);
    r.created_at = created_at;
    r.updated_at = updated_at;
    return r;
  }
};

// The device's last report, from `device_reports r` LEFT JOINed to
// `devices`: every column is NULL when the device never reported. The
// operator's device reads (the list and the single read) both select
// through SelectDevicesWithReports, so a row of the list and the read of
// the same device agree, inSync included (JoinedReportInSync, device_reports.h).
struct ReportRow {
  long long device_id = 0, broker_id = 0;
  int connected = 0, in_sync = 0;
  std::string config_version, broker, last_error, agent_version, reported_at;
  soci::indicator device_ind{}, version_ind{}, connected_ind{}, broker_ind{}, broker_id_ind{},
      error_ind{}, agent_ind{}, reported_ind{}, in_sync_ind{};

  static std::string Columns() {
    return std::string(
               "r.device_id, r.config_version, r.connected, r.broker, r.broker_id, "
               "r.last_error, r.agent_version, r.reported_at, CASE WHEN ") +
           JoinedReportInSync("r") + " THEN 1 ELSE 0 END";
  }

  void Bind(soci::statement& st) {
    st.exchange(soci::into(device_id, device_ind));
    st.exchange(soci::into(config_version, version_ind));
    st.exchange(soci::into(connected, connected_ind));
    st.exchange(soci::into(broker, broker_ind));
    st.exchange(soci::into(broker_id, broker_id_ind));
    st.exchange(soci::into(last_error, error_ind));
    st.exchange(soci::into(agent_version, agent_ind));
    st.exchange(soci::into(reported_at, reported_ind));
    st.exchange(soci::into(in_sync, in_sync_ind));
  }

  std::optional<StoredReport> ToReport() const {
    if (device_ind != soci::i_ok) return std::nullopt;
    StoredReport r;
    r.report.config_version = config_version;
    r.report.connected = connected != 0;
    r.report.broker = broker;
    if (error_ind == soci::i_ok) r.report.last_error = last_error;
    if (agent_ind == soci::i_ok) r.report.agent_version = agent_version;
    if (broker_id_ind == soci::i_ok) r.broker_id = broker_id;
    r.reported_at = reported_at;
    r.in_sync = in_sync != 0;
    return r;
  }
};

// Runs "SELECT <device>, <its last report> FROM devices LEFT JOIN
// device_reports ... `tail`" on `sql` and appends every row to `out`.
// `bind_params` binds the parameters of `tail`, in the order they appear.
// One statement whatever the number of rows. Throws soci::soci_error.
void SelectDevicesWithReports(soci::session& sql, const std::string& tail,
                              const std::function<void(soci::statement&)>& bind_params,
                              std::vector<DeviceWithReport>& out) {
  DeviceRow row;
  ReportRow report;
  soci::statement st(sql);
  row.Bind(st);
  report.Bind(st);
  bind_params(st);
  st.alloc();
  st.prepare(std::string("SELECT ") + kDeviceColumns + ", " + ReportRow::Columns() +
             " FROM devices LEFT JOIN device_reports r ON r.device_id = devices.id " + tail);
  st.define_and_bind();
  if (!st.execute(true)) return;
  do {
    out.push_back(DeviceWithReport{row.ToRecord(), report.ToReport()});
  } while (st.fetch());
}

// LoadDeviceRecord's SELECT prepared once per pooled session
// (session_cache.h). It also reads config_version, which lets a resolution
// in progress on this thread skip that read (config_snapshot.h).
struct DeviceRecordSelect {
  explicit DeviceRecordSelect(soci::session& sql) : st(sql) {
    row.Bind(st);
    st.exchange(soci::into(version, version_ind));
    st.exchange(soci::use(uuid));
    st.alloc();
    st.prepare(
        std::string("SELECT id, uuid, device_name, device_type, fleet_id, region, mqtt_broker_id, "
                    "provisioned_by_key_id, mac_address, os_version, agent_version, created_at, "
                    "updated_at, api_key_hash, ") +
        kConfigVersionColumn + " FROM devices WHERE uuid = :uuid");
    st.define_and_bind();
  }
  DeviceRow row;
  long long version = 0;
  soci::indicator version_ind{};
  std::string uuid;
  soci::statement st;
};

}  // namespace

Device ToResolverDevice(const DeviceRecord& record) {
  Device d;
  d.id = record.id;
  d.uuid = record.uuid;
  d.device_name = record.device_name;
  d.device_type = record.device_type;
  d.fleet_id = record.fleet_id;
  d.region = record.region;
  d.mqtt_broker_id = record.mqtt_broker_id;
  return d;
}

std::optional<DeviceRecord> LoadDeviceRecord(soci::session& sql, const std::string& uuid,
                                             std::string* api_key_hash,
                                             std::optional<std::int64_t>* config_version) {
  if (SessionCache* cache = SessionCacheFor(sql)) {
    auto& q = cache->Get<DeviceRecordSelect>(sql);
    q.uuid = uuid;
    if (!q.st.execute(true)) return std::nullopt;
    if (api_key_hash != nullptr) *api_key_hash = q.row.api_key_hash;
    DeviceRecord record = q.row.ToRecord();
    const bool has_version = q.version_ind == soci::i_ok;
    const std::int64_t version = q.version;
    FinishSingleRow(sql, q.st);
    if (has_version && config_version != nullptr) *config_version = version;
    return record;
  }
  DeviceRow row;
  soci::statement st(sql);
  row.Bind(st);
  st.exchange(soci::use(uuid));
  st.alloc();
  st.prepare(std::string("SELECT ") + kDeviceColumns + " FROM devices WHERE uuid = :uuid");
  st.define_and_bind();
  if (!st.execute(true)) return std::nullopt;
  if (api_key_hash != nullptr) *api_key_hash = row.api_key_hash;
  return row.ToRecord();
}

DeviceRecord Devices::Get(const std::string& uuid) {
  const std::string key = ToLowerAscii(uuid);
  std::optional<DeviceRecord> out;
  ReadWithRetry(storage_, [&](soci::session& sql) { out = LoadDeviceRecord(sql, key); });
  if (!out) throw NotFound("no device with uuid '" + key + "'");
  return *out;
}

DeviceWithReport Devices::GetWithReport(const std::string& uuid) {
  const std::string key = ToLowerAscii(uuid);
  std::vector<DeviceWithReport> found;
  ReadWithRetry(storage_, [&](soci::session& sql) {
    found.clear();
    std::string bound = key;
    SelectDevicesWithReports(
        sql, "WHERE devices.uuid = :uuid",
        [&bound](soci::statement& st) { st.exchange(soci::use(bound)); }, found);
  });
  if (found.empty()) throw NotFound("no device with uuid '" + key + "'");
  return std::move(found.front());
}

DeviceRecord Devices::Update(const std::string& uuid, const DeviceUpdate& update) {
  const std::string key = ToLowerAscii(uuid);
  if (update.device_name) CheckText("device_name", *update.device_name, 1, 255);
  if (update.region && *update.region) CheckText("region", **update.region, 0, 255);
  if (update.fleet_id && *update.fleet_id) ValidateFleetId(**update.fleet_id, "fleet_id");
  Storage::Lease lease = storage_.Acquire();
  soci::session& sql = *lease;
  try {
    WriteTransaction tx(storage_, sql);
    if (!LoadDeviceRecord(sql, key)) throw NotFound("no device with uuid '" + key + "'");
    if (update.fleet_id && *update.fleet_id && !FleetExists(sql, **update.fleet_id)) {
      throw ValidationError("fleet_id", "no fleet with id '" + **update.fleet_id + "'");
    }
    if (update.mqtt_broker_id && *update.mqtt_broker_id &&
        !BrokerExists(sql, **update.mqtt_broker_id)) {
      throw ValidationError("mqtt_broker_id",
                            "no broker with id " + std::to_string(**update.mqtt_broker_id));
    }
    const std::string now = UtcNowIso8601();
    if (update.device_name) {
      sql << "UPDATE devices SET device_name = :name WHERE uuid = :uuid",
          soci::use(*update.device_name), soci::use(key);
    }
    // Nullable text: null and "" both store NULL.
    auto set_text = [&](const char* column, const NullableUpdate<std::string>& field) {
      if (!field) return;
      std::string value = field->value_or("");
      soci::indicator ind = value.empty() ? soci::i_null : soci::i_ok;
      sql << std::string("UPDATE devices SET ") + column + " = :value WHERE uuid = :uuid",
          soci::use(value, ind), soci::use(key);
    };
    set_text("region", update.region);
    set_text("fleet_id", update.fleet_id);
    if (update.mqtt_broker_id) {
      long long broker_id = update.mqtt_broker_id->value_or(0);
      soci::indicator ind = *update.mqtt_broker_id ? soci::i_ok : soci::i_null;
      sql << "UPDATE devices SET mqtt_broker_id = :broker WHERE uuid = :uuid",
          soci::use(broker_id, ind), soci::use(key);
    }
    // What the device was handed may no longer be what it would be handed:
    // not in sync until its next fetch records the answer again
    // (domain/device_reports.h).
    sql << "UPDATE devices SET updated_at = :now, served_config_version = NULL, "
           "served_config_counter = NULL WHERE uuid = :uuid",
        soci::use(now), soci::use(key);
    auto updated = LoadDeviceRecord(sql, key);
    tx.Commit();
    return *updated;
  } catch (const soci::soci_error&) {
    RethrowStorageFailure(sql);
  }
}

DevicePage Devices::List(std::optional<std::int64_t> limit, std::optional<std::int64_t> after,
                         const DeviceFilter& filter) {
  const std::int64_t page_size = limit.value_or(kDefaultDevicePageSize);
  CheckRange("limit", page_size, 1, kMaxDevicePageSize);
  const std::int64_t cursor = after.value_or(0);
  CheckRange("after", cursor, 0, LLONG_MAX);
  DevicePage page;
  ReadWithRetry(storage_, [&](soci::session& sql) {
    page = DevicePage{};
    long long bound_after = cursor;
    long long fetch = page_size + 1;  // one more tells whether a next page exists
    std::string fleet = filter.fleet_id.value_or("");
    std::string region = filter.region.value_or("");
    long long broker = filter.mqtt_broker_id.value_or(0);
    // Each condition with its parameter, so the two stay in step.
    std::string tail = "WHERE devices.id > :after";
    std::vector<std::function<void(soci::statement&)>> params = {
        [&](soci::statement& st) { st.exchange(soci::use(bound_after)); }};
    if (filter.fleet_id) {
      tail += " AND devices.fleet_id = :fleet";
      params.push_back([&](soci::statement& st) { st.exchange(soci::use(fleet)); });
    }
    if (filter.region) {
      tail += " AND devices.region = :region";
      params.push_back([&](soci::statement& st) { st.exchange(soci::use(region)); });
    }
    if (filter.mqtt_broker_id) {
      tail += " AND devices.mqtt_broker_id = :broker";
      params.push_back([&](soci::statement& st) { st.exchange(soci::use(broker)); });
    }
    if (filter.in_sync) {
      tail += std::string(*filter.in_sync ? " AND " : " AND NOT ") + JoinedReportInSync("r");
    }
    tail += " ORDER BY devices.id LIMIT :fetch";
    page.devices.reserve(static_cast<std::size_t>(fetch));
    params.push_back([&](soci::statement& st) { st.exchange(soci::use(fetch)); });
    SelectDevicesWithReports(
        sql, tail,
        [&params](soci::statement& st) {
          for (const auto& bind : params) bind(st);
        },
        page.devices);
  });
  if (static_cast<std::int64_t>(page.devices.size()) > page_size) {
    page.devices.pop_back();
    page.next_after = page.devices.back().id;
  }
  return page;
}

}  // namespace switchboard
