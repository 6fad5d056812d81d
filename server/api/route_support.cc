#include "api/route_support.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "http/api_error.h"

namespace switchboard {
namespace {

std::optional<std::int64_t> PositiveInt(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

}  // namespace

std::string BearerToken(const http::Request& request) {
  const auto header = request.Header("authorization");
  if (!header) return "";
  std::string_view value = *header;
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size()) return "";
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return "";
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return std::string(value);
}

std::int64_t IdParam(const http::Request& request, std::string_view name) {
  const auto value = PositiveInt(request.PathParam(name));
  if (!value) {
    throw http::ApiError::InvalidRequest(std::string(name) + " must be a positive integer",
                                         std::string(name));
  }
  return *value;
}

void WriteBrokerConfig(http::JsonWriter& json, const ClientBrokerConfig& config) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  WriteClientBrokerConfig(writer, config);
  json.RawValue(std::string_view(buffer.GetString(), buffer.GetSize()));
}

}  // namespace switchboard
