// Every route of the API. Order matters in one way only: for a pattern with
// several methods, the 405 answer's Allow header lists them in this order.
#include "api/route_table.h"

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
  for (const Route& route : kRoutes) {
    server.Route(
        route.method, route.pattern,
        [&app, &route](const http::Request& request) -> http::Response {
          try {
            return route.handler(app, request, Authenticate(app, route.auth, request));
          } catch (...) {
            MapCurrentException(app);
          }
        },
        route.body);
  }
}

}  // namespace switchboard
