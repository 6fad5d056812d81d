#include "http/api_error.h"

#include "http/json.h"

namespace switchboard::http {

int StatusOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidRequest:
      return 400;
    case ErrorCode::kUnauthorized:
      return 401;
    case ErrorCode::kForbidden:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kMethodNotAllowed:
      return 405;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kPayloadTooLarge:
      return 413;
    case ErrorCode::kUnsupportedMediaType:
      return 415;
    case ErrorCode::kTooManyRequests:
      return 429;
    case ErrorCode::kInternal:
      return 500;
    case ErrorCode::kUnavailable:
      return 503;
  }
  return 500;
}

std::string_view NameOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidRequest:
      return "invalid_request";
    case ErrorCode::kUnauthorized:
      return "unauthorized";
    case ErrorCode::kForbidden:
      return "forbidden";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kMethodNotAllowed:
      return "method_not_allowed";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kPayloadTooLarge:
      return "payload_too_large";
    case ErrorCode::kUnsupportedMediaType:
      return "unsupported_media_type";
    case ErrorCode::kTooManyRequests:
      return "too_many_requests";
    case ErrorCode::kInternal:
      return "internal";
    case ErrorCode::kUnavailable:
      return "unavailable";
  }
  return "internal";
}

ApiError::ApiError(ErrorCode code, std::string message, std::string field)
    : code_(code), message_(std::move(message)), field_(std::move(field)) {
  // A 500 never describes its cause to the client: the cause is usually an
  // exception text (SQL, file paths) that belongs in the log only.
  if (code_ == ErrorCode::kInternal) {
    message_ = "internal error";
    field_.clear();
  }
}

ApiError& ApiError::WithHeader(std::string name, std::string value) & {
  headers_.emplace_back(std::move(name), std::move(value));
  return *this;
}

ApiError&& ApiError::WithHeader(std::string name, std::string value) && {
  headers_.emplace_back(std::move(name), std::move(value));
  return std::move(*this);
}

std::string ErrorBody(ErrorCode code, std::string_view message, std::string_view field) {
  JsonWriter json;
  json.StartObject().Key("error").StartObject();
  json.Field("code", NameOf(code));
  json.Field("message", code == ErrorCode::kInternal ? "internal error" : message);
  if (!field.empty() && code != ErrorCode::kInternal) json.Field("field", field);
  json.EndObject().EndObject();
  return json.Take();
}

std::string ErrorBody(const ApiError& error) {
  return ErrorBody(error.code(), error.message(), error.field());
}

}  // namespace switchboard::http
