// Live broker admission (core/src/domain/mqtt_auth.h): the two routes brokers
// call, in the shape EMQX 5's HTTP authentication and authorization expect,
// and the admin route that makes a broker's own hook token. Bodies and
// answers are documented in docs/api.md; route_table.cc authenticates.
//
// `POST /api/v1/mqtt/auth` answers deferred: the `$7$` check runs on the
// App's password-check threads, so the HTTP worker goes on serving other
// connections (config fetches, registrations) meanwhile, and at most
// mqtt_auth.verify_threads checks run at once. A check that finds the
// queue full is answered 503 at once.
#include "api/route_handlers.h"
#include "api/route_support.h"
#include "http/api_error.h"
#include "util/log.h"

namespace switchboard::handlers {
namespace {

// Unknown members are ignored: EMQX and the plugin may send more
// placeholders than these.
MqttAuthRequest ParseAuthRequest(const http::Request& request) {
  const http::JsonDocument document = request.JsonBody();
  const http::JsonObject body = document.Root();
  MqttAuthRequest out;
  out.username = body.RequiredString("username");
  out.password = body.RequiredString("password");
  out.clientid = body.RequiredString("clientid");
  out.peerhost = body.OptionalString("peerhost");
  return out;
}

MqttAclRequest ParseAclRequest(const http::Request& request) {
  const http::JsonDocument document = request.JsonBody();
  const http::JsonObject body = document.Root();
  MqttAclRequest out;
  out.username = body.RequiredString("username");
  out.clientid = body.RequiredString("clientid");
  out.topic = body.RequiredString("topic");
  const std::string action = body.RequiredString("action");
  if (action == "publish") {
    out.action = MqttAction::kPublish;
  } else if (action == "subscribe") {
    out.action = MqttAction::kSubscribe;
  } else {
    throw http::ApiError::InvalidRequest("action must be 'publish' or 'subscribe'", "action");
  }
  return out;
}

http::Response HookAnswer(std::string body) {
  http::Response response = http::Response::Json(200, std::move(body));
  response.SetHeader("Cache-Control", "no-store");
  return response;
}

http::Response AuthAnswer(App& app, const std::string& username, const MqttAuthDecision& decision) {
  app.RecordHookDecision("auth", decision.result);
  if (decision.result == HookResult::kDeny) {
    app.log().Info("mqtt auth: deny '" + username + "' (" + decision.reason + ")");
  }
  http::JsonWriter json;
  json.StartObject().Field("result", HookResultName(decision.result));
  if (decision.result == HookResult::kAllow) {
    json.Field("is_superuser", false).Key("acl").StartArray();
    for (const AclRule& rule : decision.acl) {
      json.StartObject()
          .Field("permission", rule.allow ? "allow" : "deny")
          .Field("action", rule.action)
          .Field("topic", rule.topic)
          .EndObject();
    }
    json.EndArray();
  }
  json.EndObject();
  return HookAnswer(json.Take());
}

// Sent from the completion, which the error mapping never sees: built here.
http::Response Busy() {
  const http::ApiError error =
      http::ApiError::Unavailable(
          "too many password checks waiting (mqtt_auth.verify_queue): retry later")
          .WithHeader("Retry-After", "1");
  http::Response response = http::Response::Json(error.status(), http::ErrorBody(error));
  for (const auto& [name, value] : error.headers()) response.SetHeader(name, value);
  return response;
}

}  // namespace

http::Response MqttAuth(App& app, const http::Request& request, const std::string& hook_token) {
  const MqttAuthRequest body = ParseAuthRequest(request);
  const std::shared_ptr<const Chain> chain = app.chain();
  PendingAuthentication pending = app.mqtt_auth().PrepareAuthentication(*chain, hook_token, body);
  if (!pending.needs_verification()) {
    return AuthAnswer(app, pending.printable_username(), pending.Finish());
  }
  return http::Response::Deferred(
      [&app, pending = std::move(pending),
       request_id = request.request_id()](const http::Completion& done) {
        std::function<void()> job = [&app, pending, done, request_id]() mutable {
          // The check runs on a pool thread: its log lines carry the id too.
          const ScopedRequestId scoped_id(request_id);
          const std::string username = pending.printable_username();
          done(AuthAnswer(app, username, pending.Finish()));
        };
        if (!app.password_checks().TrySubmit(job)) {
          app.log().Warn("mqtt auth: password-check queue full (mqtt_auth.verify_queue): 503");
          done(Busy());
        }
      });
}

http::Response MqttAcl(App& app, const http::Request& request, const std::string& hook_token) {
  const MqttAclRequest body = ParseAclRequest(request);
  const std::shared_ptr<const Chain> chain = app.chain();
  const MqttAclDecision decision = app.mqtt_auth().CheckAcl(*chain, hook_token, body);
  app.RecordHookDecision("acl", decision.result);
  http::JsonWriter json;
  json.StartObject().Field("result", HookResultName(decision.result)).EndObject();
  return HookAnswer(json.Take());
}

http::Response IssueHookToken(App& app, const http::Request& request, const std::string&) {
  const IssuedHookToken issued = app.hook_tokens().Issue(IdParam(request, "id"));
  app.log().Info("mqtt auth: hook token of broker " + std::to_string(issued.broker_id) +
                 (issued.rotated ? " rotated" : " created"));
  http::JsonWriter json;
  json.StartObject()
      .Field("broker_id", issued.broker_id)
      .Field("token", issued.token)
      .Field("created_at", issued.created_at)
      .Field("rotated", issued.rotated)
      .Field("warning", "store this token now: it cannot be shown again")
      .EndObject();
  http::Response response = http::Response::Json(200, json.Take());
  response.SetHeader("Cache-Control", "no-store");  // it carries a secret
  return response;
}

}  // namespace switchboard::handlers
