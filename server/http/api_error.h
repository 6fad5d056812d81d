// ApiError: the one exception a route handler throws to answer with an error.
//
// Every error response of the API has the same body (docs/api.md):
//   {"error":{"code":"invalid_request","message":"…","field":"uuid"}}
// with "field" present only when the error is about one field. The HTTP
// status follows from the code, so a code and its status can never disagree.
//
// The server (http_server.h) turns an ApiError thrown by a handler into its
// JSON; anything else thrown becomes 500 "internal error", and the exception
// text goes to the server log only. So: put in `message` only what the client
// may read (never SQL, secrets or stack traces).
//
// Thread-safety: plain values; ErrorBody() is pure.
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::http {

// When adding a code, update StatusOf() and NameOf() in api_error.cc.
enum class ErrorCode {
  kInvalidRequest,        // 400: malformed JSON, missing or invalid field
  kUnauthorized,          // 401: missing or wrong credentials
  kForbidden,             // 403: rejected by the chain, key exhausted or expired
  kNotFound,              // 404
  kMethodNotAllowed,      // 405
  kConflict,              // 409
  kPayloadTooLarge,       // 413
  kUnsupportedMediaType,  // 415
  kInternal,              // 500: message is always "internal error"
  kUnavailable,           // 503: no broker, storage unavailable, shutting down
};

// The HTTP status of `code` (400, 401, ...).
int StatusOf(ErrorCode code);
// The wire name of `code` ("invalid_request", ...).
std::string_view NameOf(ErrorCode code);

class ApiError : public std::exception {
 public:
  // `field` names the offending request field (JSON member, path or query
  // parameter), or is empty. A kInternal error always carries the generic
  // message "internal error", whatever is passed.
  ApiError(ErrorCode code, std::string message, std::string field = {});

  static ApiError InvalidRequest(std::string message, std::string field = {}) {
    return ApiError(ErrorCode::kInvalidRequest, std::move(message), std::move(field));
  }
  static ApiError Unauthorized(std::string message) {
    return ApiError(ErrorCode::kUnauthorized, std::move(message));
  }
  static ApiError Forbidden(std::string message) {
    return ApiError(ErrorCode::kForbidden, std::move(message));
  }
  static ApiError NotFound(std::string message) {
    return ApiError(ErrorCode::kNotFound, std::move(message));
  }
  static ApiError Conflict(std::string message, std::string field = {}) {
    return ApiError(ErrorCode::kConflict, std::move(message), std::move(field));
  }
  static ApiError Unavailable(std::string message) {
    return ApiError(ErrorCode::kUnavailable, std::move(message));
  }

  // Adds a response header (e.g. "WWW-Authenticate" on 401, "Retry-After" on
  // 503). Returns *this so it chains onto the factories above.
  ApiError& WithHeader(std::string name, std::string value) &;
  ApiError&& WithHeader(std::string name, std::string value) &&;

  ErrorCode code() const { return code_; }
  int status() const { return StatusOf(code_); }
  const std::string& message() const { return message_; }
  const std::string& field() const { return field_; }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  ErrorCode code_;
  std::string message_;
  std::string field_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

// {"error":{"code":"…","message":"…","field":"…"}}, "field" omitted when
// empty. Strings are JSON-escaped; invalid UTF-8 is replaced by U+FFFD.
std::string ErrorBody(ErrorCode code, std::string_view message, std::string_view field = {});
std::string ErrorBody(const ApiError& error);

}  // namespace switchboard::http
