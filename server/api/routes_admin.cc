// Operator tools for the chain: explain one device's resolution, reload the
// chain from the YAML, show the chain in force.
#include "api/explain_json.h"
#include "http/api_error.h"
#include "util/log.h"
#include "engine/resolve_context.h"
#include "api/route_support.h"
#include "api/routes.h"

namespace switchboard {
namespace {

http::Response Explain(App& app, const http::Request& request) {
  RequireAdmin(app, request);
  const std::shared_ptr<const Chain> chain = app.chain();
  // Always read from storage (never a cache): explain shows what the chain
  // decides now.
  const Resolution resolution =
      ResolveDevice(*chain, app.storage(), request.PathParam("uuid"), app.log());
  app.RecordResolution(resolution.trace);
  http::Response response = http::Response::Json(200, ExplainJson(resolution));
  response.SetHeader("X-Switchboard-Resolver", ResolverHeader(resolution));
  return response;
}

http::Response Reload(App& app, const http::Request& request) {
  RequireAdmin(app, request);
  const ReloadResult result = app.Reload();
  if (!result.ok) {
    // The file's problems are the operator's own configuration: safe to
    // return to the admin, and what they need to fix it.
    throw http::ApiError::InvalidRequest("reload failed, the previous chain keeps serving: " +
                                         result.error);
  }
  // 200 with the chain now in force.
  return http::Response::Json(200, ChainJson(result.chain->Describe()));
}

http::Response ShowChain(App& app, const http::Request& request) {
  RequireAdmin(app, request);
  return http::Response::Json(200, ChainJson(app.chain()->Describe()));
}

}  // namespace

void InstallAdminRoutes(http::HttpServer& server, App& app) {
  server.Get("/api/v1/devices/:uuid/resolution",
             Guarded(app, [&app](const http::Request& r) { return Explain(app, r); }));
  server.Post("/api/v1/admin/reload",
              Guarded(app, [&app](const http::Request& r) { return Reload(app, r); }),
              http::Body::kAny);
  server.Get("/api/v1/admin/chain",
             Guarded(app, [&app](const http::Request& r) { return ShowChain(app, r); }));
}

}  // namespace switchboard
