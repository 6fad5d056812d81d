#include "api/error_mapping.h"

#include <algorithm>

#include "api/explain_json.h"
#include "engine/resolve_context.h"
#include "storage/sql_errors.h"
#include "storage/storage.h"

namespace switchboard {

HttpErrorMapping HttpMappingOf(DomainCode code) {
  switch (code) {
    case DomainCode::kInvalidField:
      return {http::ErrorCode::kInvalidRequest, "", ""};
    case DomainCode::kUnauthenticated:
      return {http::ErrorCode::kUnauthorized, "WWW-Authenticate", "Bearer"};
    case DomainCode::kRefused:
      return {http::ErrorCode::kForbidden, "", ""};
    case DomainCode::kNotFound:
      return {http::ErrorCode::kNotFound, "", ""};
    case DomainCode::kConflict:
      return {http::ErrorCode::kConflict, "", ""};
    case DomainCode::kNoBroker:
      return {http::ErrorCode::kUnavailable, "", ""};
    case DomainCode::kStorageUnavailable:
      // The pool frees up or the connection comes back within seconds.
      return {http::ErrorCode::kUnavailable, "Retry-After", "1"};
  }
  return {http::ErrorCode::kInternal, "", ""};
}

http::ApiError ToApiError(DomainCode code, std::string message, std::string field) {
  const HttpErrorMapping mapping = HttpMappingOf(code);
  http::ApiError error(mapping.error, std::move(message),
                       code == DomainCode::kInvalidField ? std::move(field) : std::string());
  if (*mapping.header != '\0') error.WithHeader(mapping.header, mapping.header_value);
  return error;
}

http::ApiError TooManyFailures(std::chrono::milliseconds retry_after) {
  const long long seconds = std::max<long long>(1, (retry_after.count() + 999) / 1000);
  return http::ApiError(http::ErrorCode::kTooManyRequests,
                        "too many failed attempts from this address; retry after " +
                            std::to_string(seconds) + " s")
      .WithHeader("Retry-After", std::to_string(seconds));
}

http::Response RefusalResponse(App& app, const ChainRefusal& refusal) {
  app.RecordResolution(refusal.resolution.trace);
  const http::ApiError error = ToApiError(refusal.code, refusal.message);
  http::Response response = http::Response::Json(error.status(), http::ErrorBody(error));
  for (const auto& [name, value] : error.headers()) response.SetHeader(name, value);
  response.SetHeader("X-Switchboard-Resolver", ResolverHeader(refusal.resolution));
  return response;
}

void MapCurrentException(App& app) {
  try {
    throw;
  } catch (const DomainError& e) {
    throw ToApiError(e.code(), e.what(), e.field());
  } catch (const DeviceNotFound& e) {
    throw ToApiError(DomainCode::kNotFound, e.what());
  } catch (const StorageUnavailable& e) {
    if (dynamic_cast<const StorageCannotWrite*>(&e) != nullptr) app.NoteStorageCannotWrite();
    app.RecordStorageError();
    app.log().Warn(std::string("storage unavailable: ") + e.what());
    throw ToApiError(DomainCode::kStorageUnavailable, "storage unavailable, retry later");
  }
}

}  // namespace switchboard
