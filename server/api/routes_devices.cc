// Devices, operator side: read one, edit its assignment and labels, list
// with a cursor. Devices are created only by registration (routes_device.cc).
// JSON field names are the column names; `api_key_hash` is never read here
// (DeviceRecord has no field for it).
#include "api/operator_json.h"
#include "api/route_handlers.h"
#include "api/route_support.h"
#include "http/api_error.h"

namespace switchboard::handlers {
namespace {

DeviceUpdate ParseDeviceUpdate(const http::Request& request) {
  const http::JsonDocument document = request.JsonBody();
  const http::JsonObject body = document.Root();
  body.RejectUnknownFields({"device_name", "region", "fleet_id", "mqtt_broker_id"});
  DeviceUpdate update;
  update.device_name = NonNullString(body, "device_name");
  update.region = NullableString(body, "region");
  update.fleet_id = NullableString(body, "fleet_id");
  update.mqtt_broker_id = NullableInt(body, "mqtt_broker_id");
  return update;
}

void WriteDevice(http::JsonWriter& json, const DeviceRecord& d) {
  json.StartObject();
  json.Field("id", d.id);
  json.Field("uuid", d.uuid);
  json.Field("device_name", d.device_name);
  json.Field("device_type", d.device_type);
  TextOrNull(json, "fleet_id", d.fleet_id);
  TextOrNull(json, "region", d.region);
  json.Field("mqtt_broker_id", d.mqtt_broker_id);
  json.Field("provisioned_by_key_id", d.provisioned_by_key_id);
  TextOrNull(json, "mac_address", d.mac_address);
  TextOrNull(json, "os_version", d.os_version);
  TextOrNull(json, "agent_version", d.agent_version);
  json.Field("created_at", d.created_at);
  json.Field("updated_at", d.updated_at);
  json.EndObject();
}

std::string DeviceJson(const DeviceRecord& device) {
  http::JsonWriter json;
  WriteDevice(json, device);
  return json.Take();
}

// Devices scanned per request for an inSync filter at most: each costs a
// resolution, so one page never costs more than this many.
constexpr std::int64_t kMaxInSyncScan = 1000;

// Whether the device's last report carries the configVersion it would be
// handed now; false when it never reported or the chain refuses it.
bool InSync(App& app, const Chain& chain, const std::string& uuid) {
  const std::optional<StoredReport> last = app.device_reports().Last(uuid);
  if (!last) return false;
  OrRefusal<DeviceMqttAccess> now = app.provisioning().CurrentView(chain, uuid);
  return !now.refused() && now.value().config_version == last->report.config_version;
}

DeviceFilter ParseDeviceFilter(const http::Request& request) {
  DeviceFilter filter;
  if (const auto fleet = request.Query("fleet_id")) filter.fleet_id = std::string(*fleet);
  if (const auto region = request.Query("region")) filter.region = std::string(*region);
  filter.mqtt_broker_id = IntegerQuery(request, "mqtt_broker_id");
  return filter;
}

std::optional<bool> InSyncQuery(const http::Request& request) {
  const auto text = request.Query("inSync");
  if (!text) return std::nullopt;
  if (*text == "true") return true;
  if (*text == "false") return false;
  throw http::ApiError::InvalidRequest("inSync must be true or false", "inSync");
}

}  // namespace

// Devices whose in-sync state is `want`, scanning in id order: up to
// `limit` of them, or kMaxInSyncScan scanned, whichever comes first;
// next_after resumes the scan (so a page may hold fewer than `limit`).
static DevicePage ListByInSync(App& app, const http::Request& request, const DeviceFilter& filter,
                               bool want) {
  const std::optional<std::int64_t> limit = IntegerQuery(request, "limit");
  std::optional<std::int64_t> after = IntegerQuery(request, "after");
  const std::shared_ptr<const Chain> chain = app.chain();
  DevicePage out;
  std::int64_t scanned = 0;
  for (;;) {
    DevicePage page = app.devices().List(limit, after, filter);  // validates limit and after
    const auto wanted = static_cast<std::size_t>(limit.value_or(kDefaultDevicePageSize));
    for (DeviceRecord& device : page.devices) {
      ++scanned;
      after = device.id;
      const bool last = &device == &page.devices.back() && !page.next_after;
      if (InSync(app, *chain, device.uuid) == want) out.devices.push_back(std::move(device));
      if (out.devices.size() == wanted || scanned >= kMaxInSyncScan) {
        if (!last) out.next_after = after;
        return out;
      }
    }
    if (!page.next_after) return out;
    after = page.next_after;
  }
}

http::Response ListDevices(App& app, const http::Request& request, const std::string&) {
  const DeviceFilter filter = ParseDeviceFilter(request);
  const std::optional<bool> in_sync = InSyncQuery(request);
  const DevicePage page = in_sync ? ListByInSync(app, request, filter, *in_sync)
                                  : app.devices().List(IntegerQuery(request, "limit"),
                                                       IntegerQuery(request, "after"), filter);
  http::JsonWriter json;
  json.StartObject().Key("devices").StartArray();
  for (const DeviceRecord& device : page.devices) WriteDevice(json, device);
  json.EndArray();
  json.Field("count", page.devices.size());
  json.Field("next_after", page.next_after);  // null on the last page
  json.EndObject();
  return http::Response::Json(200, json.Take());
}

// The device with its last report: `reported` is null until it reports.
// inSync compares the reported configVersion with what the device would be
// told now (ProvisioningService::CurrentView: one resolution, no key).
http::Response GetDevice(App& app, const http::Request& request, const std::string&) {
  const std::string uuid = request.PathParam("uuid");
  const DeviceRecord device = app.devices().Get(uuid);
  std::string json = DeviceJson(device);
  const std::optional<StoredReport> last = app.device_reports().Last(device.uuid);
  http::JsonWriter reported;
  if (!last) {
    reported.Null();
  } else {
    const std::shared_ptr<const Chain> chain = app.chain();
    OrRefusal<DeviceMqttAccess> now = app.provisioning().CurrentView(*chain, device.uuid);
    const StateReport& r = last->report;
    reported.StartObject();
    reported.Field("configVersion", r.config_version);
    reported.Field("connected", r.connected);
    reported.Field("broker", r.broker);
    reported.Field("brokerId", last->broker_id);
    reported.Field("lastError", r.last_error);
    reported.Field("agentVersion", r.agent_version);
    reported.Field("reportedAt", last->reported_at);
    // A device the chain refuses now has nothing to be in sync with.
    reported.Field("inSync", !now.refused() && now.value().config_version == r.config_version);
    reported.EndObject();
  }
  // The device object with one more member.
  json.pop_back();
  json += ",\"reported\":" + reported.Take() + "}";
  return http::Response::Json(200, std::move(json));
}

http::Response UpdateDevice(App& app, const http::Request& request, const std::string&) {
  const DeviceRecord device =
      app.devices().Update(request.PathParam("uuid"), ParseDeviceUpdate(request));
  app.log().Info("device " + device.uuid + " updated");
  return http::Response::Json(200, DeviceJson(device));
}

}  // namespace switchboard::handlers
