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

void WriteDeviceFields(http::JsonWriter& json, const DeviceRecord& d) {
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
}

std::string DeviceJson(const DeviceRecord& device) {
  http::JsonWriter json;
  json.StartObject();
  WriteDeviceFields(json, device);
  json.EndObject();
  return json.Take();
}

// The device object with `reported`: its last report, null until it sends
// one, inSync as the stored rule computes it (JoinedReportInSync,
// domain/device_reports.h): no resolution. The same for a list row and the
// single read.
void WriteDeviceWithReport(http::JsonWriter& json, const DeviceWithReport& device) {
  json.StartObject();
  WriteDeviceFields(json, device);
  json.Key("reported");
  if (!device.reported) {
    json.Null();
  } else {
    const StoredReport& last = *device.reported;
    const StateReport& r = last.report;
    json.StartObject();
    json.Field("configVersion", r.config_version);
    json.Field("connected", r.connected);
    json.Field("broker", r.broker);
    json.Field("brokerId", last.broker_id);
    json.Field("lastError", r.last_error);
    json.Field("agentVersion", r.agent_version);
    json.Field("reportedAt", last.reported_at);
    json.Field("inSync", last.in_sync);
    json.EndObject();
  }
  json.EndObject();
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
  for (const DeviceWithReport& device : page.devices) WriteDeviceWithReport(json, device);
  json.EndArray();
  json.Field("count", page.devices.size());
  json.Field("next_after", page.next_after);  // null on the last page
  json.EndObject();
  return http::Response::Json(200, json.Take());
}

http::Response GetDevice(App& app, const http::Request& request, const std::string&) {
  http::JsonWriter json;
  WriteDeviceWithReport(json, app.devices().GetWithReport(request.PathParam("uuid")));
  return http::Response::Json(200, json.Take());
}

http::Response UpdateDevice(App& app, const http::Request& request, const std::string&) {
  const DeviceRecord device =
      app.devices().Update(request.PathParam("uuid"), ParseDeviceUpdate(request));
  app.log().Info("device " + device.uuid + " updated");
  return http::Response::Json(200, DeviceJson(device));
}

}  // namespace switchboard::handlers
