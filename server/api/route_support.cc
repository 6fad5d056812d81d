#include "api/route_support.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "domain/domain_errors.h"
#include "http/api_error.h"
#include "engine/resolve_context.h"

namespace switchboard {
namespace {

http::ErrorCode CodeForStatus(int status) {
  switch (status) {
    case 400:
      return http::ErrorCode::kInvalidRequest;
    case 401:
      return http::ErrorCode::kUnauthorized;
    case 403:
      return http::ErrorCode::kForbidden;
    case 404:
      return http::ErrorCode::kNotFound;
    case 409:
      return http::ErrorCode::kConflict;
    case 503:
      return http::ErrorCode::kUnavailable;
    default:
      return http::ErrorCode::kInternal;
  }
}

std::optional<std::int64_t> PositiveInt(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

}  // namespace

http::Handler Guarded(App& app, http::Handler handler) {
  return [&app, handler = std::move(handler)](const http::Request& request) -> http::Response {
    try {
      return handler(request);
    } catch (const ValidationError& e) {
      throw http::ApiError::InvalidRequest(e.what(), e.field());
    } catch (const Unauthorized& e) {
      throw http::ApiError::Unauthorized(e.what()).WithHeader("WWW-Authenticate", "Bearer");
    } catch (const DomainError& e) {
      // The error's own code (e.g. "no_broker") is kept in the message; the
      // wire code follows the status so code and status never disagree.
      throw http::ApiError(CodeForStatus(e.http_status()), e.what());
    } catch (const DeviceNotFound& e) {
      throw http::ApiError::NotFound(e.what());
    } catch (const StorageUnavailable& e) {
      app.RecordStorageError();
      app.log().Warn(std::string("storage unavailable: ") + e.what());
      throw http::ApiError::Unavailable("storage unavailable, retry later")
          .WithHeader("Retry-After", "1");
    }
  };
}

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

void RequireAdmin(App& app, const http::Request& request) {
  const std::string token = BearerToken(request);
  if (token.empty()) {
    throw http::ApiError::Unauthorized("admin token required (Authorization: Bearer <token>)")
        .WithHeader("WWW-Authenticate", "Bearer");
  }
  if (!app.IsAdminToken(token)) {
    throw http::ApiError::Unauthorized(app.admin_token_configured()
                                           ? "invalid admin token"
                                           : "operator API disabled: no admin token configured")
        .WithHeader("WWW-Authenticate", "Bearer");
  }
}

std::int64_t IdParam(const http::Request& request, std::string_view name) {
  const auto value = PositiveInt(request.PathParam(name));
  if (!value) {
    throw http::ApiError::InvalidRequest(std::string(name) + " must be a positive integer",
                                         std::string(name));
  }
  return *value;
}

std::optional<std::int64_t> IntQuery(const http::Request& request, std::string_view name) {
  const auto text = request.Query(name);
  if (!text) return std::nullopt;
  const auto value = PositiveInt(*text);
  if (!value) {
    throw http::ApiError::InvalidRequest(std::string(name) + " must be a positive integer",
                                         std::string(name));
  }
  return value;
}

void WriteBrokerConfig(http::JsonWriter& json, const ClientBrokerConfig& config) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  WriteClientBrokerConfig(writer, config);
  json.RawValue(std::string_view(buffer.GetString(), buffer.GetSize()));
}

}  // namespace switchboard
