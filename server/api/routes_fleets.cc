// Fleets: CRUD on `fleets`, JSON field names as the columns (`id`, `name`,
// `mqtt_broker_id`) plus the derived `device_count`.
#include "api/operator_json.h"
#include "api/route_handlers.h"
#include "api/route_support.h"
#include "http/api_error.h"

namespace switchboard::handlers {
namespace {

constexpr char kCollection[] = "/api/v1/fleets";

FleetInput ParseFleetInput(const http::Request& request) {
  const http::JsonDocument document = request.JsonBody();
  const http::JsonObject body = document.Root();
  body.RejectUnknownFields({"id", "name", "mqtt_broker_id"});
  FleetInput in;
  in.id = NonNullString(body, "id");
  in.name = NonNullString(body, "name");
  in.mqtt_broker_id = NullableInt(body, "mqtt_broker_id");
  return in;
}

void WriteFleet(http::JsonWriter& json, const Fleet& fleet) {
  json.StartObject();
  json.Field("id", fleet.id);
  json.Field("name", fleet.name);
  json.Field("mqtt_broker_id", fleet.mqtt_broker_id);
  json.Field("device_count", fleet.device_count);
  json.Field("created_at", fleet.created_at);
  json.Field("updated_at", fleet.updated_at);
  json.EndObject();
}

std::string FleetJson(const Fleet& fleet) {
  http::JsonWriter json;
  WriteFleet(json, fleet);
  return json.Take();
}

}  // namespace

http::Response ListFleets(App& app, const http::Request&, const std::string&) {
  const std::vector<Fleet> fleets = app.fleets().List();
  http::JsonWriter json;
  json.StartObject().Key("fleets").StartArray();
  for (const Fleet& fleet : fleets) WriteFleet(json, fleet);
  json.EndArray().Field("count", fleets.size()).EndObject();
  return http::Response::Json(200, json.Take());
}

http::Response CreateFleet(App& app, const http::Request& request, const std::string&) {
  const Fleet fleet = app.fleets().Create(ParseFleetInput(request));
  app.log().Info("fleet '" + fleet.id + "' created");
  // Fleet ids are [A-Za-z0-9._-]: safe in a URL as they are.
  return Created(FleetJson(fleet), std::string(kCollection) + "/" + fleet.id);
}

http::Response GetFleet(App& app, const http::Request& request, const std::string&) {
  return http::Response::Json(200, FleetJson(app.fleets().Get(request.PathParam("id"))));
}

http::Response UpdateFleet(App& app, const http::Request& request, const std::string&) {
  const std::string& id = request.PathParam("id");
  const Fleet fleet = app.fleets().Update(id, ParseFleetInput(request));
  app.log().Info("fleet '" + fleet.id + "' updated");
  return http::Response::Json(200, FleetJson(fleet));
}

http::Response DeleteFleet(App& app, const http::Request& request, const std::string&) {
  const std::string& id = request.PathParam("id");
  const std::int64_t keys = app.fleets().Delete(id);
  app.log().Info("fleet '" + id + "' deleted with " + std::to_string(keys) +
                 " provisioning key(s)");
  http::Response response = http::Response::NoContent();
  // Its provisioning keys go with it (they could only provision into it).
  response.SetHeader("X-Deleted-Provisioning-Keys", std::to_string(keys));
  return response;
}

}  // namespace switchboard::handlers
