// Every route of the API. Order matters in one way only: for a pattern with
// several methods, the 405 answer's Allow header lists them in this order.
#include "api/route_table.h"

#include <chrono>
#include <stdexcept>

#include "api/error_mapping.h"
#include "api/route_handlers.h"
#include "api/route_support.h"
#include "http/http_metrics.h"

namespace switchboard {
namespace {

using http::Body;
using enum RouteAuth;

constexpr Route kRoutes[] = {
    // Health: for load balancers and Prometheus.
    {"GET", "/healthz", kNone, Body::kAny, handlers::Healthz},
    {"GET", "/readyz", kNone, Body::kAny, handlers::Readyz},
    {"GET", "/metrics", kNone, Body::kAny, handlers::Metrics},
    // The API's own description (docs/openapi.yaml): open, like the docs.
    {"GET", "/api/v1/openapi.yaml", kNone, Body::kAny, handlers::OpenApi},

    // The device side.
    {"POST", "/api/v1/device/register", kProvisioningKey, Body::kJson, handlers::RegisterDevice},
    {"GET", "/api/v1/device/:uuid/mqtt", kDeviceApiKey, Body::kAny, handlers::DeviceMqtt},
    {"PUT", "/api/v1/device/:uuid/state", kDeviceApiKey, Body::kJson, handlers::ReportDeviceState},

    // The chain.
    {"GET", "/api/v1/devices/:uuid/resolution", kAdminToken, Body::kAny,
     handlers::ExplainResolution},
    {"POST", "/api/v1/admin/reload", kAdminToken, Body::kAny, handlers::Reload},
    {"GET", "/api/v1/admin/chain", kAdminToken, Body::kAny, handlers::ShowChain},

    // Brokers. A fixed segment wins over ":id" (HttpServer), so "summary" is
    // never an id. The connection test reads no body: any (or none) is fine.
    {"GET", "/api/v1/mqtt/brokers", kAdminToken, Body::kAny, handlers::ListBrokers},
    {"POST", "/api/v1/mqtt/brokers", kAdminToken, Body::kJson, handlers::CreateBroker},
    {"GET", "/api/v1/mqtt/brokers/summary", kAdminToken, Body::kAny, handlers::BrokerSummary},
    {"GET", "/api/v1/mqtt/brokers/:id", kAdminToken, Body::kAny, handlers::GetBroker},
    {"PUT", "/api/v1/mqtt/brokers/:id", kAdminToken, Body::kJson, handlers::UpdateBroker},
    {"DELETE", "/api/v1/mqtt/brokers/:id", kAdminToken, Body::kAny, handlers::DeleteBroker},
    {"POST", "/api/v1/mqtt/brokers/:id/test", kAdminToken, Body::kAny, handlers::TestBroker},
    {"GET", "/api/v1/mqtt/brokers/:id/health", kAdminToken, Body::kAny,
     handlers::BrokerHealthChecks},
    {"POST", "/api/v1/mqtt/brokers/:id/hook-token", kAdminToken, Body::kAny,
     handlers::IssueHookToken},

    // Live broker admission: what brokers call (EMQX 5's shapes; the
    // Mosquitto plugin, integrations/mosquitto/).
    {"POST", "/api/v1/mqtt/auth", kHookToken, Body::kJson, handlers::MqttAuth},
    {"POST", "/api/v1/mqtt/acl", kHookToken, Body::kJson, handlers::MqttAcl},

    // Fleets.
    {"GET", "/api/v1/fleets", kAdminToken, Body::kAny, handlers::ListFleets},
    {"POST", "/api/v1/fleets", kAdminToken, Body::kJson, handlers::CreateFleet},
    {"GET", "/api/v1/fleets/:id", kAdminToken, Body::kAny, handlers::GetFleet},
    {"PUT", "/api/v1/fleets/:id", kAdminToken, Body::kJson, handlers::UpdateFleet},
    {"DELETE", "/api/v1/fleets/:id", kAdminToken, Body::kAny, handlers::DeleteFleet},

    // Devices, operator side (they are created only by registration).
    {"GET", "/api/v1/devices", kAdminToken, Body::kAny, handlers::ListDevices},
    {"GET", "/api/v1/devices/:uuid", kAdminToken, Body::kAny, handlers::GetDevice},
    {"PUT", "/api/v1/devices/:uuid", kAdminToken, Body::kJson, handlers::UpdateDevice},

    // Provisioning keys.
    {"POST", "/api/v1/provisioning-keys", kAdminToken, Body::kJson,
     handlers::CreateProvisioningKey},
    {"GET", "/api/v1/provisioning-keys", kAdminToken, Body::kAny, handlers::ListProvisioningKeys},
    {"DELETE", "/api/v1/provisioning-keys/:id", kAdminToken, Body::kAny,
     handlers::RevokeProvisioningKey},
};

void RequireAdmin(App& app, const http::Request& request) {
  const std::string token = BearerToken(request);
  if (token.empty()) throw Unauthorized("admin token required (Authorization: Bearer <token>)");
  if (!app.IsAdminToken(token)) {
    throw Unauthorized(app.admin_token_configured()
                           ? "invalid admin token"
                           : "operator API disabled: no admin token configured");
  }
}

// Step 1 of every route: throws Unauthorized (→ 401) or returns the
// credential the handler passes on to the domain.
std::string Authenticate(App& app, RouteAuth auth, const http::Request& request) {
  switch (auth) {
    case kNone:
      return {};
    case kAdminToken:
      RequireAdmin(app, request);
      return {};
    case kProvisioningKey: {
      std::string key = BearerToken(request);
      if (key.empty()) {
        throw Unauthorized("provisioning key required (Authorization: Bearer <provisioning key>)");
      }
      return key;
    }
    case kDeviceApiKey: {
      std::string key = BearerToken(request);
      if (key.empty()) {
        if (const auto header = request.Header("x-device-api-key")) key = std::string(*header);
      }
      if (key.empty()) {
        throw Unauthorized(
            "device API key required (Authorization: Bearer <deviceApiKey> or "
            "X-Device-API-Key)");
      }
      return key;
    }
    case kHookToken: {
      std::string token = BearerToken(request);
      if (token.empty()) throw Unauthorized("hook token required (Authorization: Bearer <token>)");
      return token;
    }
  }
  throw std::logic_error("route with an unknown authentication");
}

// The credential kind a route's failures are counted as, or nullptr for
// open routes.
const char* LimitedCredential(RouteAuth auth) {
  switch (auth) {
    case kNone:
      return nullptr;
    case kAdminToken:
      return "admin_token";
    case kProvisioningKey:
      return "provisioning_key";
    case kDeviceApiKey:
      return "device_api_key";
    case kHookToken:
      return "hook_token";
  }
  return nullptr;
}

bool PresentsCredential(RouteAuth auth, const http::Request& request) {
  if (!BearerToken(request).empty()) return true;
  if (auth != kDeviceApiKey) return false;
  const auto header = request.Header("x-device-api-key");
  return header && !header->empty();
}

// Steps 1 and 2 under the failure limit (server.auth_failures,
// util/failure_limiter.h): a request that presents a credential takes a
// token from its client address first and is refused with 429 when there is
// none, before the credential is looked at. The token comes back unless the
// credential turned out wrong (kUnauthenticated from the check or the
// domain). A hook route's answer "deny" for a device's MQTT password is a
// 200, not a failure: a broker is one address relaying many devices' wrong
// passwords, and must not be locked out by them. Only a wrong hook token
// counts there.
http::Response AuthenticateAndHandle(App& app, const Route& route, const http::Request& request) {
  const char* kind = LimitedCredential(route.auth);
  if (kind == nullptr || !PresentsCredential(route.auth, request)) {
    // Nothing to guess with: 401 (or the open route) without a token.
    return route.handler(app, request, Authenticate(app, route.auth, request));
  }
  FailureLimiter& limiter = app.auth_failures();
  const FailureLimiter::Attempt attempt =
      limiter.Acquire(request.client_address(), std::chrono::steady_clock::now());
  if (attempt.refused()) {
    app.RecordAuthThrottled(kind);
    throw TooManyFailures(attempt.retry_after);
  }
  try {
    http::Response response = route.handler(app, request, Authenticate(app, route.auth, request));
    limiter.Succeeded(attempt, std::chrono::steady_clock::now());
    return response;
  } catch (const DeviceKeyMismatch&) {
    // A known uuid with a wrong deviceApiKey: a guess at the device's key.
    app.RecordAuthFailure("device_api_key");
    throw;
  } catch (const DomainError& e) {
    if (e.code() == DomainCode::kUnauthenticated) {
      app.RecordAuthFailure(kind);
    } else {
      limiter.Succeeded(attempt, std::chrono::steady_clock::now());
    }
    throw;
  } catch (...) {
    // Storage down, a bad body, a bug: the credential was not found wrong.
    limiter.Succeeded(attempt, std::chrono::steady_clock::now());
    throw;
  }
}

}  // namespace

const char* RouteAuthName(RouteAuth auth) {
  switch (auth) {
    case kNone:
      return "none";
    case kAdminToken:
      return "admin token";
    case kProvisioningKey:
      return "provisioning key";
    case kDeviceApiKey:
      return "device API key";
    case kHookToken:
      return "hook token";
  }
  return "unknown";
}

std::span<const Route> RouteTable() { return kRoutes; }

void InstallRoutes(http::HttpServer& server, App& app) {
  server.SetRequestObserver(http::HttpMetricsObserver(app.metrics()));
  server.SetConnectionObserver(http::HttpConnectionMetrics(app.metrics()));
  for (const Route& route : kRoutes) {
    server.Route(
        route.method, route.pattern,
        [&app, &route](const http::Request& request) -> http::Response {
          try {
            return AuthenticateAndHandle(app, route, request);
          } catch (...) {
            MapCurrentException(app);
          }
        },
        route.body);
  }
}

}  // namespace switchboard
