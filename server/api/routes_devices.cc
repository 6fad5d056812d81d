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

DeviceFilter ParseDeviceFilter(const http::Request& request) {
  DeviceFilter filter;
  if (const auto fleet = request.Query("fleet_id")) filter.fleet_id = std::string(*fleet);
  if (const auto region = request.Query("region")) filter.region = std::string(*region);
  filter.mqtt_broker_id = IntegerQuery(request, "mqtt_broker_id");
  if (const auto text = request.Query("inSync")) {
    if (*text == "true") {
      filter.in_sync = true;
    } else if (*text == "false") {
      filter.in_sync = false;
    } else {
      throw http::ApiError::InvalidRequest("inSync must be true or false", "inSync");
    }
  }
  return filter;
}

}  // namespace

http::Response ListDevices(App& app, const http::Request& request, const std::string&) {
  const DevicePage page = app.devices().List(
      IntegerQuery(request, "limit"), IntegerQuery(request, "after"), ParseDeviceFilter(request));
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
// inSync as the devices list filter and the brokers summary count it
// (kDeviceInSync, domain/device_reports.h): no resolution.
http::Response GetDevice(App& app, const http::Request& request, const std::string&) {
  const std::string uuid = request.PathParam("uuid");
  const DeviceRecord device = app.devices().Get(uuid);
  std::string json = DeviceJson(device);
  const std::optional<StoredReport> last = app.device_reports().Last(device.uuid);
  http::JsonWriter reported;
  if (!last) {
    reported.Null();
  } else {
    const StateReport& r = last->report;
    reported.StartObject();
    reported.Field("configVersion", r.config_version);
    reported.Field("connected", r.connected);
    reported.Field("broker", r.broker);
    reported.Field("brokerId", last->broker_id);
    reported.Field("lastError", r.last_error);
    reported.Field("agentVersion", r.agent_version);
    reported.Field("reportedAt", last->reported_at);
    reported.Field("inSync", last->in_sync);
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
