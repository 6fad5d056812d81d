#include "api/operator_json.h"

#include <charconv>

#include "http/api_error.h"

namespace switchboard {
namespace {

[[noreturn]] void NotNull(std::string_view field) {
  const std::string name(field);
  throw http::ApiError::InvalidRequest("field '" + name + "' must not be null", name);
}

}  // namespace

std::optional<std::string> NonNullString(const http::JsonObject& body, std::string_view field) {
  if (body.IsNull(field)) NotNull(field);
  return body.OptionalString(field);
}

std::optional<std::int64_t> NonNullInt(const http::JsonObject& body, std::string_view field) {
  if (body.IsNull(field)) NotNull(field);
  return body.OptionalInt(field);
}

std::optional<bool> NonNullBool(const http::JsonObject& body, std::string_view field) {
  if (body.IsNull(field)) NotNull(field);
  return body.OptionalBool(field);
}

std::optional<std::string> ClearableString(const http::JsonObject& body, std::string_view field) {
  if (body.IsNull(field)) return std::string();
  return body.OptionalString(field);
}

NullableUpdate<std::string> NullableString(const http::JsonObject& body, std::string_view field) {
  if (!body.Has(field)) return std::nullopt;
  if (body.IsNull(field)) return std::optional<std::string>();
  return body.OptionalString(field);
}

NullableUpdate<std::int64_t> NullableInt(const http::JsonObject& body, std::string_view field) {
  if (!body.Has(field)) return std::nullopt;
  if (body.IsNull(field)) return std::optional<std::int64_t>();
  return body.OptionalInt(field);
}

std::optional<std::int64_t> IntegerQuery(const http::Request& request, std::string_view name) {
  const auto text = request.Query(name);
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  const char* begin = text->data();
  const char* end = begin + text->size();
  const auto [stop, error] = std::from_chars(begin, end, value);
  if (text->empty() || error != std::errc() || stop != end) {
    throw http::ApiError::InvalidRequest(std::string(name) + " must be an integer",
                                         std::string(name));
  }
  return value;
}

void TextOrNull(http::JsonWriter& json, std::string_view key, const std::string& value) {
  if (value.empty()) {
    json.NullField(key);
  } else {
    json.Field(key, value);
  }
}

http::Response Created(std::string body, const std::string& location) {
  http::Response response = http::Response::Json(201, std::move(body));
  response.SetHeader("Location", location);
  return response;
}

}  // namespace switchboard
