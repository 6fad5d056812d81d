// Operator tools for the chain: explain one device's resolution, reload the
// chain from the YAML, show the chain in force.
#include "api/explain_json.h"
#include "api/route_handlers.h"
#include "engine/resolve_context.h"
#include "http/api_error.h"

namespace switchboard::handlers {

http::Response ExplainResolution(App& app, const http::Request& request, const std::string&) {
  const std::shared_ptr<const Chain> chain = app.chain();
  // Always read from storage (never a cache): explain shows what the chain
  // decides now, with each endpoint's health as this instance sees it.
  const std::shared_ptr<const HealthSnapshot> health = app.health().Current();
  const Resolution resolution =
      ResolveDevice(*chain, app.storage(), request.PathParam("uuid"), app.log(), health.get());
  app.RecordResolution(resolution.trace);
  http::Response response = http::Response::Json(200, ExplainJson(resolution));
  response.SetHeader("X-Switchboard-Resolver", ResolverHeader(resolution));
  return response;
}

http::Response Reload(App& app, const http::Request&, const std::string&) {
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

http::Response ShowChain(App& app, const http::Request&, const std::string&) {
  return http::Response::Json(200, ChainJson(app.chain()->Describe()));
}

}  // namespace switchboard::handlers
