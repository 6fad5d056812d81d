// Request reading and response writing shared by the operator routes
// (routes_brokers.cc, routes_fleets.cc, routes_devices.cc, routes_keys.cc).
//
// Operator bodies are partial updates, so three states matter for a field:
// absent (leave it alone), null (clear it, where the column is nullable) and
// a value. The readers below map those onto the domain's types and throw
// ApiError 400 naming the field for anything else (a wrong JSON type, null
// where the column cannot be NULL). Ranges and formats are left to the
// domain's validation, which names the field the same way.
//
// Pure functions over their arguments; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/validation.h"
#include "http/http_message.h"
#include "http/json.h"

namespace switchboard {

// A field that may be absent but never null: absent → nullopt; null → 400
// "must not be null"; a wrong type → 400.
std::optional<std::string> NonNullString(const http::JsonObject& body, std::string_view field);
std::optional<std::int64_t> NonNullInt(const http::JsonObject& body, std::string_view field);
std::optional<bool> NonNullBool(const http::JsonObject& body, std::string_view field);

// A nullable text column in the domain's convention (an empty string stores
// NULL): absent → nullopt; null → ""; a string → it.
std::optional<std::string> ClearableString(const http::JsonObject& body, std::string_view field);

// absent → nullopt; null → an empty optional (clear); a value → it.
NullableUpdate<std::string> NullableString(const http::JsonObject& body, std::string_view field);
NullableUpdate<std::int64_t> NullableInt(const http::JsonObject& body, std::string_view field);

// A query parameter that must be a decimal integer (sign allowed) when
// present; the domain checks its range. Else ApiError 400 naming it.
std::optional<std::int64_t> IntegerQuery(const http::Request& request, std::string_view name);

// Writes `key: value`, or `key: null` when `value` is empty (the domain
// reads NULL text columns as "").
void TextOrNull(http::JsonWriter& json, std::string_view key, const std::string& value);

// A 201 Created response with a Location header.
http::Response Created(std::string body, const std::string& location);

}  // namespace switchboard
