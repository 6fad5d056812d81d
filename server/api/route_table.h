// The API's routes, all in one table (route_table.cc): method, pattern,
// authentication, body kind and handler. InstallRoutes() puts them on an
// HttpServer and wraps every handler the same way:
//   0. the failure limit (server.auth_failures): a request presenting a
//      credential from an address that failed too often gets 429 with
//      Retry-After before its credential is looked at; a wrong credential
//      (401 from step 1 or from the domain) spends one of the address's
//      tokens (util/failure_limiter.h, docs/security.md);
//   1. authentication, per the route's RouteAuth (401 with
//      `WWW-Authenticate: Bearer` when it fails);
//   2. the handler;
//   3. the error mapping (error_mapping.h) for whatever it throws.
// Handlers (route_handlers.h) therefore neither check credentials nor catch
// core errors.
//
// The HttpServer does the rest for every route (http_server.h): 404, 405
// with Allow (listing a pattern's methods in table order), 413, 415 for a
// kJson route, keep-alive, 500 for anything unmapped.
//
// Not in the table: the admin panel's static files (GET /admin/…,
// api/admin_panel.h), which `serve` adds when the panel is on. They are
// files, not the API: no credential, no domain call, headers of their own
// (the panel itself calls the API above with the admin token).
#pragma once

#include <span>
#include <string>

#include "app.h"
#include "http/http_message.h"
#include "http/http_server.h"

namespace switchboard {

enum class RouteAuth {
  kNone,             // open: liveness, readiness, metrics
  kAdminToken,       // `Authorization: Bearer <admin token>`, checked here
  kProvisioningKey,  // `Authorization: Bearer <provisioning key>`: presence checked
                     // here, the key itself by ProvisioningService::Register
  kDeviceApiKey,     // `Authorization: Bearer <deviceApiKey>` or `X-Device-API-Key`:
                     // presence checked here, the key by ProvisioningService::DeviceMqtt
  kHookToken,        // `Authorization: Bearer <hook token>` (brokers): presence checked
                     // here, the token by MqttAuthService (the shared one or the
                     // calling broker's own; never the admin token)
};

// "none" | "admin token" | "provisioning key" | "device API key" | "hook token"
const char* RouteAuthName(RouteAuth auth);

// A route handler. `credential` is the provisioning key, device API key or
// hook token as presented (never empty for those routes), empty for kNone
// and kAdminToken. Runs on a worker thread, concurrently with itself.
using RouteHandlerFunction = http::Response(App& app, const http::Request& request,
                                            const std::string& credential);
using RouteHandler = RouteHandlerFunction*;

struct Route {
  const char* method;   // GET POST PUT PATCH DELETE
  const char* pattern;  // HttpServer syntax: "/api/v1/fleets/:id"
  RouteAuth auth;
  http::Body body;  // kJson: a non-empty body must be application/json
  RouteHandler handler;
};

// Every route of the API, in installation order.
std::span<const Route> RouteTable();

// Installs RouteTable() on `server` (before Serve()), wrapped as above, and
// the HTTP metrics observer. `app` must outlive the server's serving.
void InstallRoutes(http::HttpServer& server, App& app);

}  // namespace switchboard
