// The one place where what the core says went wrong becomes HTTP: domain
// codes (core/src/domain/domain_errors.h) and chain refusals
// (core/src/domain/chain_refusal.h) → status, JSON error code and headers.
//
//   DomainCode           status  error.code       headers
//   kInvalidField        400     invalid_request  (error.field names the field)
//   kUnauthenticated     401     unauthorized     WWW-Authenticate: Bearer
//   kRefused             403     forbidden
//   kNotFound            404     not_found
//   kConflict            409     conflict
//   kNoBroker            503     unavailable
//   kStorageUnavailable  503     unavailable      Retry-After: 1
// A chain refusal also carries X-Switchboard-Resolver (the deciding steps).
// Not a domain code: too many failed credentials from one address
// (TooManyFailures below) is 429 too_many_requests with Retry-After.
//
// The route table (route_table.cc) applies MapCurrentException() to every
// route, so handlers throw domain errors and never catch them. Thread-safe:
// pure functions, and App's metrics are thread-safe.
#pragma once

#include <chrono>
#include <string>

#include "app.h"
#include "domain/chain_refusal.h"
#include "domain/domain_errors.h"
#include "http/api_error.h"
#include "http/http_message.h"

namespace switchboard {

// How one domain code answers. `header` is empty when the code adds none.
struct HttpErrorMapping {
  http::ErrorCode error;  // its status is http::StatusOf(error)
  const char* header;
  const char* header_value;
};

// Total over DomainCode (tests/server/api/error_mapping_test.cc checks every
// code of kAllDomainCodes).
HttpErrorMapping HttpMappingOf(DomainCode code);

// The API error for a domain code, with its header. `field` is sent only
// for kInvalidField.
http::ApiError ToApiError(DomainCode code, std::string message, std::string field = {});

// The response to a chain refusal: 403 or 503 with the refusal's message and
// X-Switchboard-Resolver. Counts the resolution's steps in the metrics, as
// an answer's are.
http::Response RefusalResponse(App& app, const ChainRefusal& refusal);

// 429 too_many_requests for an address that failed too often, with
// Retry-After: the wait in whole seconds, rounded up (at least 1).
http::ApiError TooManyFailures(std::chrono::milliseconds retry_after);

// Call from a catch block. Rethrows the exception in flight as the
// http::ApiError it maps to: DomainError → its code; StorageUnavailable →
// kStorageUnavailable (logged, and counted in
// switchboard_storage_errors_total; the message never quotes the database);
// DeviceNotFound → kNotFound. An http::ApiError, or anything else, is
// rethrown as it is: the HttpServer answers the first with its status and
// anything else with 500 "internal error", logging the text.
[[noreturn]] void MapCurrentException(App& app);

}  // namespace switchboard
