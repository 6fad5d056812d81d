// Provisioning keys: create (the key in clear, this once), list (never the
// key nor its hash: ProvisioningKeyInfo has no field for either), revoke.
// Field names are camelCase, as docs/api.md spells the create request and
// response.
#include "api/operator_json.h"
#include "api/route_handlers.h"
#include "api/route_support.h"
#include "http/api_error.h"

namespace switchboard::handlers {
namespace {

constexpr char kCollection[] = "/api/v1/provisioning-keys";

ProvisioningKeyRequest ParseKeyRequest(const http::Request& request) {
  const http::JsonDocument document = request.JsonBody();
  const http::JsonObject body = document.Root();
  body.RejectUnknownFields({"fleetId", "maxDevices", "expiresInDays", "description"});
  ProvisioningKeyRequest in;
  in.fleet_id = body.RequiredString("fleetId");
  // null = absent: unlimited, never expires, no description.
  in.max_devices = body.OptionalInt("maxDevices");
  in.expires_in_days = body.OptionalInt("expiresInDays");
  in.description = body.OptionalString("description");
  return in;
}

// The fields a key's metadata shares between create and list.
void WriteKeyFields(http::JsonWriter& json, const ProvisioningKeyInfo& k) {
  json.Field("fleetId", k.fleet_id);
  TextOrNull(json, "description", k.description);
  json.Field("maxDevices", k.max_devices);  // null: unlimited
  json.Field("devicesProvisioned", k.devices_provisioned);
  TextOrNull(json, "expiresAt", k.expires_at);  // null: never
  json.Field("isActive", k.is_active);
  json.Field("createdAt", k.created_at);
  TextOrNull(json, "lastUsedAt", k.last_used_at);
}

}  // namespace

http::Response CreateProvisioningKey(App& app, const http::Request& request, const std::string&) {
  const CreatedProvisioningKey created = app.keys().Create(ParseKeyRequest(request));
  // The log gets the id and fleet, never the key.
  app.log().Info("provisioning key " + std::to_string(created.info.id) + " created for fleet '" +
                 created.info.fleet_id + "'" + (created.fleet_created ? " (fleet created)" : ""));
  http::JsonWriter json;
  json.StartObject();
  json.Field("id", created.info.id);
  json.Field("key", created.key);
  WriteKeyFields(json, created.info);
  json.Field("fleetCreated", created.fleet_created);
  json.Field("warning", "store this key now: it cannot be shown again");
  json.EndObject();
  http::Response response =
      Created(json.Take(), std::string(kCollection) + "/" + std::to_string(created.info.id));
  response.SetHeader("Cache-Control", "no-store");  // it carries the key
  return response;
}

http::Response ListProvisioningKeys(App& app, const http::Request& request, const std::string&) {
  std::optional<std::string> fleet_id;
  if (const auto query = request.Query("fleetId")) {
    fleet_id = std::string(*query);
    app.fleets().Get(*fleet_id);  // an unknown fleet is a 404, not an empty list
  }
  const std::vector<ProvisioningKeyInfo> keys = app.keys().List(fleet_id);
  http::JsonWriter json;
  json.StartObject();
  json.Field("fleetId", fleet_id);  // the filter; null when none
  json.Key("keys").StartArray();
  for (const ProvisioningKeyInfo& key : keys) {
    json.StartObject();
    json.Field("id", key.id);
    WriteKeyFields(json, key);
    json.EndObject();
  }
  json.EndArray();
  json.Field("count", keys.size());
  json.EndObject();
  return http::Response::Json(200, json.Take());
}

http::Response RevokeProvisioningKey(App& app, const http::Request& request, const std::string&) {
  const std::int64_t id = IdParam(request, "id");
  app.keys().Revoke(id);
  app.log().Info("provisioning key " + std::to_string(id) + " revoked");
  return http::Response::NoContent();
}

}  // namespace switchboard::handlers
