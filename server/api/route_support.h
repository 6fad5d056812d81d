// What route handlers share: credentials, parameters, the brokerConfig
// writer. Authentication and the error mapping are the route table's
// (route_table.h, error_mapping.h). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/client_broker_config.h"
#include "http/http_message.h"

namespace switchboard {

// The token of `Authorization: Bearer <token>` (scheme case-insensitive), or
// empty when absent or another scheme.
std::string BearerToken(const http::Request& request);

// A positive integer path parameter (`:id`), else ApiError 400 naming it.
std::int64_t IdParam(const http::Request& request, std::string_view name);

// Writes a ClientBrokerConfig as the value of the current key.
void WriteBrokerConfig(http::JsonWriter& json, const ClientBrokerConfig& config);

}  // namespace switchboard
