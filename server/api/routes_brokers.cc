// Brokers: CRUD on mqtt_broker_config, the usage summary and the connection
// test. JSON field names are the column names (docs/api.md). Reads never carry
// `password`, `client_key` or `extra_config` (PublicBroker has no field for
// them); the test route is the one place the secrets are loaded, and only
// the probe's result (which never quotes them) is answered.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <memory>
#include <string_view>
#include <type_traits>
#include <vector>

#include "api/operator_json.h"
#include "api/route_handlers.h"
#include "api/route_support.h"
#include "http/api_error.h"
#include "probe/broker_probe.h"

namespace switchboard::handlers {
namespace {

constexpr char kCollection[] = "/api/v1/mqtt/brokers";

// The connection test blocks a worker thread: never longer than this, and
// never longer than the broker's own connect_timeout.
constexpr std::chrono::milliseconds kMaxProbeTimeout{5000};

// extra_config is JSON text in the column. Clients may send the text as a
// string or the JSON itself (an object or array, stored compactly); null
// clears it.
std::optional<std::string> ExtraConfig(const http::JsonObject& body) {
  constexpr std::string_view kField = "extra_config";
  if (!body.Has(kField)) return std::nullopt;
  if (body.IsNull(kField)) return std::string();
  const rapidjson::Value& value = body.value().FindMember("extra_config")->value;
  if (value.IsString()) return body.OptionalString(kField);
  if (!value.IsObject() && !value.IsArray()) {
    throw http::ApiError::InvalidRequest(
        "field 'extra_config' must be a JSON object, an array, or JSON text in a string",
        std::string(kField));
  }
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// backup_broker_ids: a list of integers; null or [] clears it. Ranges,
// duplicates and existence are the domain's (brokers.cc).
std::optional<std::vector<std::int64_t>> BackupBrokerIds(const http::JsonObject& body) {
  constexpr std::string_view kField = "backup_broker_ids";
  if (!body.Has(kField)) return std::nullopt;
  if (body.IsNull(kField)) return std::vector<std::int64_t>();
  const rapidjson::Value& value = body.value().FindMember("backup_broker_ids")->value;
  const auto refuse = [&] {
    throw http::ApiError::InvalidRequest(
        "field 'backup_broker_ids' must be a list of broker ids (integers)", std::string(kField));
  };
  if (!value.IsArray()) refuse();
  std::vector<std::int64_t> ids;
  for (const rapidjson::Value& item : value.GetArray()) {
    if (!item.IsInt64()) refuse();
    ids.push_back(item.GetInt64());
  }
  return ids;
}

// The names ParseBrokerInput reads: every other member is an error.
const std::vector<std::string_view>& BrokerInputFields() {
  static const auto* fields = [] {
    auto* names = new std::vector<std::string_view>;
    BrokerInput none;
    ForEachBrokerInputField(
        none, [names](const char* field, auto&, Clearable) { names->push_back(field); });
    return names;
  }();
  return *fields;
}

// Each field the way its column takes it: absent leaves it alone, null
// clears a Clearable text field and is an error elsewhere.
BrokerInput ParseBrokerInput(const http::Request& request) {
  const http::JsonDocument document = request.JsonBody();
  const http::JsonObject body = document.Root();
  body.RejectUnknownFields(BrokerInputFields());
  BrokerInput in;
  ForEachBrokerInputField(in, [&body](const char* field, auto& member, Clearable clearable) {
    using T = typename std::decay_t<decltype(member)>::value_type;
    if constexpr (std::is_same_v<T, std::string>) {
      if (std::string_view(field) == "extra_config") {
        member = ExtraConfig(body);
      } else {
        member = clearable == Clearable::kYes ? ClearableString(body, field)
                                              : NonNullString(body, field);
      }
    } else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) {
      member = BackupBrokerIds(body);
    } else if constexpr (std::is_same_v<T, bool>) {
      member = NonNullBool(body, field);
    } else {
      member = NonNullInt(body, field);
    }
  });
  return in;
}

// `health: {state, since, lastCheckedAt, latencyMs, lastError}`; unset
// members as null.
void WriteHealthMembers(http::JsonWriter& json, const BrokerHealth& h) {
  json.Field("state", HealthStateName(h.state));
  TextOrNull(json, "since", h.since);
  TextOrNull(json, "lastCheckedAt", h.last_checked_at);
  if (h.latency_ms) {
    json.Field("latencyMs", *h.latency_ms);
  } else {
    json.Key("latencyMs").Null();
  }
  TextOrNull(json, "lastError", h.last_error);
}

// Every column but the secrets, in table order; NULL text columns as null.
// A copy of the column list (the others: core/src/storage/broker_rows.cc,
// kColumns); tests/integration/broker_fields_test.cc checks it. Then what is
// derived on read: the CA bundle's facts, and `health` unless health
// monitoring is off (`health` == nullptr), so that with it off a read is
// what it was before the monitor existed.
void WriteBroker(http::JsonWriter& json, const PublicBroker& b, const BrokerHealth* health) {
  json.StartObject();
  json.Field("id", b.id);
  json.Field("name", b.name);
  TextOrNull(json, "description", b.description);
  json.Field("protocol", b.protocol);
  json.Field("host", b.host);
  json.Field("port", b.port);
  TextOrNull(json, "path", b.path);
  TextOrNull(json, "username", b.username);
  json.Field("has_password", b.has_password);
  json.Field("use_tls", b.use_tls);
  TextOrNull(json, "ca_cert", b.ca_cert);
  TextOrNull(json, "client_cert", b.client_cert);
  json.Field("has_client_key", b.has_client_key);
  json.Field("verify_certificate", b.verify_certificate);
  TextOrNull(json, "client_id_prefix", b.client_id_prefix);
  json.Field("keep_alive", b.keep_alive);
  json.Field("clean_session", b.clean_session);
  json.Field("reconnect_period", b.reconnect_period);
  json.Field("connect_timeout", b.connect_timeout);
  json.Field("is_active", b.is_active);
  json.Field("is_default", b.is_default);
  json.Field("broker_type", b.broker_type);
  TextOrNull(json, "region", b.region);
  json.Field("weight", b.weight);
  json.Field("has_extra_config", b.has_extra_config);
  json.Field("created_at", b.created_at);
  json.Field("updated_at", b.updated_at);
  TextOrNull(json, "last_connected_at", b.last_connected_at);
  json.Key("backup_broker_ids").StartArray();
  for (const std::int64_t id : b.backup_broker_ids) json.Int(id);
  json.EndArray();
  json.Field("ca_certs", b.ca_certs);
  TextOrNull(json, "ca_cert_expires_at", b.ca_cert_expires_at);
  json.Field("ca_cert_expiring_soon", b.ca_cert_expiring_soon);
  if (health != nullptr) {
    json.Key("health").StartObject();
    WriteHealthMembers(json, *health);
    json.EndObject();
  }
  json.EndObject();
}

// The broker's health for reads; nullptr when monitoring is off.
const BrokerHealth* HealthFor(App& app, const HealthSnapshot& snapshot, std::int64_t id) {
  return app.config().health.enabled ? &snapshot.Of(id) : nullptr;
}

std::string BrokerJson(App& app, const PublicBroker& broker) {
  const auto snapshot = app.health().Current();
  http::JsonWriter json;
  WriteBroker(json, broker, HealthFor(app, *snapshot, broker.id));
  return json.Take();
}

std::string Location(std::int64_t id) {
  return std::string(kCollection) + "/" + std::to_string(id);
}

}  // namespace

http::Response ListBrokers(App& app, const http::Request&, const std::string&) {
  const std::vector<PublicBroker> brokers = app.brokers().List();
  const auto snapshot = app.health().Current();
  http::JsonWriter json;
  json.StartObject().Key("brokers").StartArray();
  for (const PublicBroker& broker : brokers) {
    WriteBroker(json, broker, HealthFor(app, *snapshot, broker.id));
  }
  json.EndArray().Field("count", brokers.size()).EndObject();
  return http::Response::Json(200, json.Take());
}

http::Response CreateBroker(App& app, const http::Request& request, const std::string&) {
  const PublicBroker broker = app.brokers().Create(ParseBrokerInput(request));
  app.log().Info("broker " + std::to_string(broker.id) + " created");
  if (!broker.ca_cert.empty()) app.RefreshCaExpiryMetric(true);
  return Created(BrokerJson(app, broker), Location(broker.id));
}

http::Response GetBroker(App& app, const http::Request& request, const std::string&) {
  return http::Response::Json(200, BrokerJson(app, app.brokers().Get(IdParam(request, "id"))));
}

http::Response UpdateBroker(App& app, const http::Request& request, const std::string&) {
  const std::int64_t id = IdParam(request, "id");
  const PublicBroker broker = app.brokers().Update(id, ParseBrokerInput(request));
  app.log().Info("broker " + std::to_string(id) + " updated");
  app.RefreshCaExpiryMetric(true);
  return http::Response::Json(200, BrokerJson(app, broker));
}

http::Response DeleteBroker(App& app, const http::Request& request, const std::string&) {
  const std::int64_t id = IdParam(request, "id");
  app.brokers().Delete(id);
  app.log().Info("broker " + std::to_string(id) + " deleted");
  return http::Response::NoContent();
}

http::Response BrokerSummary(App& app, const http::Request&, const std::string&) {
  const std::vector<BrokerUsage> usage = app.brokers().Summary();
  http::JsonWriter json;
  json.StartObject().Key("brokers").StartArray();
  for (const BrokerUsage& u : usage) {
    json.StartObject()
        .Field("id", u.id)
        .Field("name", u.name)
        .Field("is_active", u.is_active)
        .Field("is_default", u.is_default)
        .Field("device_count", u.device_count)
        .Field("fleet_count", u.fleet_count)
        .Field("connected_count", u.connected_count)
        .Field("in_sync_count", u.in_sync_count);
    TextOrNull(json, "ca_cert_expires_at", u.ca_cert_expires_at);
    json.Field("ca_cert_expiring_soon", u.ca_cert_expiring_soon);
    json.EndObject();
  }
  json.EndArray().Field("count", usage.size()).EndObject();
  return http::Response::Json(200, json.Take());
}

http::Response BrokerHealthChecks(App& app, const http::Request& request, const std::string&) {
  const std::int64_t id = IdParam(request, "id");
  const PublicBroker broker = app.brokers().Get(id);  // NotFound → 404
  http::JsonWriter json;
  json.StartObject();
  json.Field("id", broker.id);
  json.Field("name", broker.name);
  json.Field("enabled", app.config().health.enabled);
  HealthMonitor* monitor = app.health_monitor();
  // Storage, not the snapshot: this page is where an operator looks for
  // the freshest word.
  std::optional<NamedBrokerHealth> stored;
  std::vector<HealthCheck> checks;
  if (monitor != nullptr) {
    stored = monitor->store().Load(id);
    checks = monitor->store().RecentChecks(id);
  }
  WriteHealthMembers(json, stored ? stored->health : BrokerHealth());
  TextOrNull(json, "checkedBy", stored ? stored->checked_by : std::string());
  json.Key("checks").StartArray();
  for (const HealthCheck& check : checks) {
    json.StartObject();
    json.Field("checkedAt", check.checked_at);
    json.Field("ok", check.ok);
    json.Field("stage", check.stage);
    json.Field("latencyMs", check.latency_ms);
    TextOrNull(json, "error", check.error);
    json.Field("checkedBy", check.checked_by);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  return http::Response::Json(200, json.Take());
}

http::Response ProbeAnswer(std::int64_t id, const ProbeResult& result,
                           std::chrono::milliseconds timeout) {
  http::JsonWriter json;
  json.StartObject();
  json.Field("id", id);
  json.Field("reachable", result.reachable);
  json.Field("stage", ProbeStageName(result.stage));
  // Microsecond precision, as measured.
  json.Field("latencyMs", std::round(result.latency_ms * 1000.0) / 1000.0);
  TextOrNull(json, "error", result.error);
  if (result.connack_code) json.Field("connackCode", *result.connack_code);
  TextOrNull(json, "address", result.address);
  json.Field("timeoutMs", static_cast<std::int64_t>(timeout.count()));
  json.EndObject();
  return http::Response::Json(200, json.Take());
}

// Sent from the completion, which the error mapping never sees: built here.
http::Response ProbesBusy() {
  const http::ApiError error =
      http::ApiError::Unavailable("too many broker connection tests running: retry later")
          .WithHeader("Retry-After", "5");
  http::Response response = http::Response::Json(error.status(), http::ErrorBody(error));
  for (const auto& [name, value] : error.headers()) response.SetHeader(name, value);
  return response;
}

// The probe runs on App::broker_probes(), never on an HTTP worker: a broker
// that accepts and never answers would otherwise hold the worker, and every
// connection pinned to it (`/healthz` included), for the whole timeout.
// The row (with its secrets) is read here, on the worker, so a missing
// broker or an unreachable database is answered through the error mapping;
// the secrets then live only inside the job.
http::Response TestBroker(App& app, const http::Request& request, const std::string&) {
  const std::int64_t id = IdParam(request, "id");
  auto broker = std::make_shared<BrokerConfig>(app.brokers().LoadWithSecretsForProbe(id));
  const std::chrono::milliseconds timeout =
      std::clamp(std::chrono::milliseconds(broker->connect_timeout), std::chrono::milliseconds(1),
                 kMaxProbeTimeout);
  return http::Response::Deferred([&app, id, broker, timeout](const http::Completion& done) {
    std::function<void()> job = [&app, id, broker, timeout, done] {
      const ProbeResult result = ProbeBroker(*broker, timeout);
      app.log().Info("broker " + std::to_string(id) +
                     " test: " + (result.reachable ? std::string("reachable") : result.error));
      done(ProbeAnswer(id, result, timeout));
    };
    if (!app.broker_probes().TrySubmit(job)) done(ProbesBusy());
  });
}

}  // namespace switchboard::handlers
