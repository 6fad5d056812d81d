// Device side: registration with a provisioning key, and the device's own
// view of its broker with its API key.
#include "api/explain_json.h"
#include "http/api_error.h"
#include "api/route_support.h"
#include "api/routes.h"

namespace switchboard {
namespace {

// The `mqtt` object of both device responses (SPEC §4); the password only
// at registration.
void WriteMqtt(http::JsonWriter& json, const DeviceMqttAccess& mqtt) {
  json.StartObject();
  json.Field("username", mqtt.username);
  if (!mqtt.password.empty()) json.Field("password", mqtt.password);
  json.Field("broker", mqtt.broker);
  if (mqtt.broker_config) {
    json.Key("brokerConfig");
    WriteBrokerConfig(json, *mqtt.broker_config);
  }
  json.Key("topics").StartObject();
  json.Key("publish").StartArray();
  for (const std::string& topic : mqtt.publish_topics) json.String(topic);
  json.EndArray();
  json.Key("subscribe").StartArray();
  for (const std::string& topic : mqtt.subscribe_topics) json.String(topic);
  json.EndArray();
  json.EndObject();
  json.EndObject();
}

// Runs `work` (a registration or a device's broker lookup) and turns the
// chain's refusals into their API errors: Reject → 403, no broker → 503.
// Like a success, a refusal names the resolution in X-Switchboard-Resolver
// and counts its steps in the metrics. The 503 message never carries a
// failed step's own text (it may quote the database); explain shows it to
// operators.
template <typename Work>
auto AnswerChainRefusals(App& app, Work&& work) -> decltype(work()) {
  try {
    return work();
  } catch (const ChainRejected& e) {
    app.RecordResolution(e.resolution().trace);
    throw http::ApiError::Forbidden(e.what()).WithHeader("X-Switchboard-Resolver",
                                                         ResolverHeader(e.resolution()));
  } catch (const ChainFoundNoBroker& e) {
    const Resolution& resolution = e.resolution();
    app.RecordResolution(resolution.trace);
    std::string message = e.what();
    if (resolution.failed && !resolution.trace.empty()) {
      message = "no broker: resolution step plugin/" + resolution.trace.back().plugin +
                " failed (on_error: fail)";
    }
    throw http::ApiError::Unavailable(message).WithHeader("X-Switchboard-Resolver",
                                                          ResolverHeader(resolution));
  }
}

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

http::Response Register(App& app, const http::Request& request) {
  const std::string key = BearerToken(request);
  if (key.empty()) {
    throw http::ApiError::Unauthorized(
        "provisioning key required (Authorization: Bearer <provisioning key>)")
        .WithHeader("WWW-Authenticate", "Bearer");
  }
  const RegistrationRequest registration = ParseRegistration(request);
  const std::shared_ptr<const Chain> chain = app.chain();
  const RegistrationResult result = AnswerChainRefusals(
      app, [&] { return app.provisioning().Register(*chain, key, registration); });
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
  WriteMqtt(json, result.mqtt);
  json.EndObject();
  http::Response response = http::Response::Json(200, json.Take());
  response.SetHeader("X-Switchboard-Resolver",
                     ResolverHeader(result.mqtt.resolved_by, result.mqtt.trace));
  response.SetHeader("Cache-Control", "no-store");  // it carries a password
  return response;
}

http::Response DeviceMqtt(App& app, const http::Request& request) {
  std::string api_key = BearerToken(request);
  if (api_key.empty()) {
    if (const auto header = request.Header("x-device-api-key")) api_key = std::string(*header);
  }
  if (api_key.empty()) {
    throw http::ApiError::Unauthorized(
        "device API key required (Authorization: Bearer <deviceApiKey> or "
        "X-Device-API-Key)")
        .WithHeader("WWW-Authenticate", "Bearer");
  }
  const std::shared_ptr<const Chain> chain = app.chain();
  // Without storage the device cannot be authenticated: StorageUnavailable
  // → 503 (Guarded), even though a storage-free step (env) could name a
  // broker. Handing a broker to an unauthenticated caller would turn this
  // route into an oracle; the agent keeps its current broker and retries.
  const DeviceMqttAccess mqtt = AnswerChainRefusals(app, [&] {
    return app.provisioning().DeviceMqtt(*chain, request.PathParam("uuid"), api_key);
  });
  app.RecordResolution(mqtt.trace);
  http::JsonWriter json;
  WriteMqtt(json, mqtt);
  http::Response response = http::Response::Json(200, json.Take());
  response.SetHeader("X-Switchboard-Resolver", ResolverHeader(mqtt.resolved_by, mqtt.trace));
  response.SetHeader("Cache-Control", "no-store");
  return response;
}

}  // namespace

void InstallDeviceRoutes(http::HttpServer& server, App& app) {
  server.Post("/api/v1/device/register",
              Guarded(app, [&app](const http::Request& r) { return Register(app, r); }));
  server.Get("/api/v1/device/:uuid/mqtt",
             Guarded(app, [&app](const http::Request& r) { return DeviceMqtt(app, r); }));
}

}  // namespace switchboard
