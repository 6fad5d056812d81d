// Device side: registration with a provisioning key, and the device's own
// view of its broker with its API key.
#include "api/error_mapping.h"
#include "api/explain_json.h"
#include "api/route_handlers.h"
#include "api/route_support.h"
#include "domain/device_view.h"
#include "http/entity_tag.h"

namespace switchboard::handlers {
namespace {

RegistrationRequest ParseRegistration(const http::Request& request) {
  const http::JsonDocument document = request.JsonBody();
  const http::JsonObject body = document.Root();
  // Unknown fields are ignored: agents in the field send extras (the
  // TypeScript original accepted them), and refusing them would break
  // provisioning for no benefit. Operator routes reject unknown fields.
  RegistrationRequest registration;
  registration.uuid = body.RequiredString("uuid");
  registration.device_name = body.RequiredString("deviceName");
  registration.device_type = body.RequiredString("deviceType");
  registration.device_api_key = body.RequiredString("deviceApiKey");
  registration.region = body.OptionalString("region");
  registration.mac_address = body.OptionalString("macAddress");
  registration.os_version = body.OptionalString("osVersion");
  registration.agent_version = body.OptionalString("agentVersion");
  return registration;
}

}  // namespace

http::Response RegisterDevice(App& app, const http::Request& request,
                              const std::string& provisioning_key) {
  const RegistrationRequest registration = ParseRegistration(request);
  const std::shared_ptr<const Chain> chain = app.chain();
  const OrRefusal<RegistrationResult> outcome =
      app.provisioning().Register(*chain, provisioning_key, registration);
  if (outcome.refused()) return RefusalResponse(app, outcome.refusal());
  const RegistrationResult& result = outcome.value();
  app.RecordResolution(result.mqtt.trace);

  http::JsonWriter json;
  json.StartObject();
  json.Field("id", result.id);
  json.Field("uuid", result.uuid);
  json.Field("deviceName", result.device_name);
  json.Field("deviceType", result.device_type);
  json.Field("fleetId", result.fleet_id);
  json.Field("createdAt", result.created_at);
  json.Key("mqtt");
  json.RawValue(RegistrationMqttJson(result.mqtt.view_json, result.mqtt.password,
                                     result.mqtt.config_version));
  json.EndObject();
  http::Response response = http::Response::Json(200, json.Take());
  response.SetHeader("X-Switchboard-Resolver",
                     ResolverHeader(result.mqtt.resolved_by, result.mqtt.trace));
  response.SetHeader("Cache-Control", "no-store");  // it carries a password
  return response;
}

http::Response DeviceMqtt(App& app, const http::Request& request, const std::string& api_key) {
  const std::shared_ptr<const Chain> chain = app.chain();
  // Without storage the device cannot be authenticated: StorageUnavailable
  // → 503 (error_mapping.h), even though a storage-free step (env) could
  // name a broker. Handing a broker to an unauthenticated caller would turn
  // this route into an oracle; the agent keeps its current broker and
  // retries.
  OrRefusal<DeviceMqttAccess> outcome =
      app.provisioning().DeviceMqtt(*chain, request.PathParam("uuid"), api_key);
  if (outcome.refused()) return RefusalResponse(app, outcome.refusal());
  DeviceMqttAccess& mqtt = outcome.value();
  app.RecordResolution(mqtt.trace);
  std::string etag = http::StrongEntityTag(mqtt.config_version);
  // The chain ran either way (the version is what it decides): a 304 saves
  // the body on the wire and the device's work, not the resolution.
  const std::optional<std::string_view> none_match = request.Header("if-none-match");
  http::Response response =
      none_match && http::IfNoneMatchMatches(*none_match, etag)
          ? http::Response(304, "", "")
          : http::Response::Json(200, FetchJson(std::move(mqtt.view_json), mqtt.config_version));
  response.SetHeader("ETag", std::move(etag));
  response.SetHeader("X-Switchboard-Resolver", ResolverHeader(mqtt.resolved_by, mqtt.trace));
  // no-store as before: the answer is per device and behind its key. The
  // device revalidates with If-None-Match, which needs no cache.
  response.SetHeader("Cache-Control", "no-store");
  return response;
}

http::Response ReportDeviceState(App& app, const http::Request& request,
                                 const std::string& api_key) {
  // The body is read once the device is authenticated (401 before 400).
  app.device_reports().Record(request.PathParam("uuid"), api_key, [&request] {
    const http::JsonDocument document = request.JsonBody();
    const http::JsonObject body = document.Root();
    // Unknown members are ignored, as at registration: agents in the field
    // send extras.
    StateReport report;
    report.config_version = body.RequiredString("configVersion");
    report.connected = body.RequiredBool("connected");
    report.broker = body.RequiredString("broker");
    report.last_error = body.OptionalString("lastError");
    report.agent_version = body.OptionalString("agentVersion");
    return report;
  });
  return http::Response::NoContent();
}

}  // namespace switchboard::handlers
