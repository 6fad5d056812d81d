// What every route handler shares: error mapping, credentials, parameters.
//
// Handlers are written as `Response(const Request&)` functions and wrapped
// with Guarded(), which maps the core's exceptions to the API's JSON errors:
//   DomainError (domain_errors.h) → its status, code, message and field;
//   StorageUnavailable            → 503 `unavailable` + Retry-After, counted
//                                   in switchboard_storage_errors_total;
//   DeviceNotFound                → 404;
//   anything else                 → rethrown: the HttpServer answers 500
//                                   "internal error" and logs the text.
// When adding a DomainError type, nothing changes here (it carries its
// status); when adding another exception type, map it in Guarded().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "app.h"
#include "engine/chain.h"
#include "http/http_message.h"

namespace switchboard {

http::Handler Guarded(App& app, http::Handler handler);

// The token of `Authorization: Bearer <token>` (scheme case-insensitive), or
// empty when absent or another scheme.
std::string BearerToken(const http::Request& request);

// Throws ApiError 401 unless the request carries the admin token.
void RequireAdmin(App& app, const http::Request& request);

// A positive integer path parameter (`:id`), else ApiError 400 naming it.
std::int64_t IdParam(const http::Request& request, std::string_view name);

// A positive integer query parameter, or std::nullopt when absent; else
// ApiError 400 naming it.
std::optional<std::int64_t> IntQuery(const http::Request& request, std::string_view name);

// Writes a ClientBrokerConfig as the value of the current key.
void WriteBrokerConfig(http::JsonWriter& json, const ClientBrokerConfig& config);

}  // namespace switchboard
