// Domain errors: what the core says went wrong, as a DomainCode, never as an
// HTTP status. server/api/error_mapping.cc is the one place that turns a
// code into a status, a JSON error code and headers.
//
// Two ways a code reaches a caller:
//   - thrown: a DomainError (the typed subclasses below) from the domain
//     layer (brokers, fleets, devices, provisioning keys, registration) when
//     a request cannot be served: bad input, credentials, missing rows,
//     conflicts;
//   - returned: a ChainRefusal (domain/chain_refusal.h) when the resolution
//     chain decided against a device. A refusal is an answer, not a failure.
// The other exceptions a domain call lets through:
//   - StorageUnavailable (storage/storage.h): database unreachable, pool
//     exhausted or SQLite busy for longer than its timeout
//     (kStorageUnavailable);
//   - DeviceNotFound (engine/resolve_context.h): explain of an unknown uuid
//     (kNotFound);
//   - anything else (soci::soci_error for a bug, std::bad_alloc,
//     CryptoError) is a bug: its what() may contain SQL and must only reach
//     the log (for a soci_error log get_error_message()).
//
// Every DomainError message is written for the client: it never contains SQL
// text, a secret (keys, passwords, API keys) or a hash, so a caller may show
// what() as is.
//
// When adding a code, add it to kAllDomainCodes and DomainCodeName(), and map
// it in server/api/error_mapping.cc (tests/server/api/error_mapping_test.cc
// fails until it is).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace switchboard {

enum class DomainCode {
  kInvalidField,        // a missing or invalid input field; the error names it
  kUnauthenticated,     // missing or wrong credentials (never says which)
  kRefused,             // valid credentials, but refused: key revoked, expired or
                        // exhausted, or the chain rejected the device
  kNotFound,            // the addressed row does not exist
  kConflict,            // contradicts the stored state (name taken, row in use)
  kNoBroker,            // the chain gave no broker (all passed, or a step with
                        // `on_error: fail` failed)
  kStorageUnavailable,  // the database cannot serve the request now
};

// Every code, for tables and tests that must cover them all.
inline constexpr DomainCode kAllDomainCodes[] = {
    DomainCode::kInvalidField,       DomainCode::kUnauthenticated, DomainCode::kRefused,
    DomainCode::kNotFound,           DomainCode::kConflict,        DomainCode::kNoBroker,
    DomainCode::kStorageUnavailable,
};

// "invalid_field", "unauthenticated", … (for logs and test messages; the
// wire names are the HTTP layer's).
const char* DomainCodeName(DomainCode code);

class DomainError : public std::runtime_error {
 public:
  // `field`: the JSON name of the offending input field, or empty.
  DomainError(DomainCode code, const std::string& message, std::string field = {})
      : std::runtime_error(message), code_(code), field_(std::move(field)) {}
  DomainCode code() const { return code_; }
  // Empty unless the error is about one input field (ValidationError).
  const std::string& field() const { return field_; }

 private:
  DomainCode code_;
  std::string field_;
};

// A missing or invalid input field (kInvalidField). field() is the name the
// API's JSON uses for it (`uuid`, `deviceName`, `use_tls`, `mqtt_broker_id`,
// `limit`).
class ValidationError : public DomainError {
 public:
  ValidationError(std::string field, const std::string& message)
      : DomainError(DomainCode::kInvalidField, message, std::move(field)) {}
};

// Missing or wrong credentials (kUnauthenticated): unknown provisioning key,
// unknown device or wrong device API key, never saying which.
class Unauthorized : public DomainError {
 public:
  explicit Unauthorized(const std::string& message)
      : DomainError(DomainCode::kUnauthenticated, message) {}
};

// Valid credentials, refused request (kRefused): provisioning key revoked,
// expired or exhausted. what() is the reason. (A chain Reject is returned as
// a ChainRefusal, not thrown.)
class Forbidden : public DomainError {
 public:
  explicit Forbidden(const std::string& message) : DomainError(DomainCode::kRefused, message) {}
};

// The addressed row does not exist (kNotFound).
class NotFound : public DomainError {
 public:
  explicit NotFound(const std::string& message) : DomainError(DomainCode::kNotFound, message) {}
};

// The request contradicts the stored state (kConflict): duplicate name or id,
// a broker or fleet still in use, a uuid registered with another deviceApiKey.
class Conflict : public DomainError {
 public:
  explicit Conflict(const std::string& message) : DomainError(DomainCode::kConflict, message) {}
};

// Registration of a uuid already registered with another deviceApiKey
// (kConflict, 409). Its own type because it is also a wrong device API key
// presented: the route table counts it as a failed credential, so a holder
// of a provisioning key cannot guess device keys through registration.
class DeviceKeyMismatch : public Conflict {
 public:
  DeviceKeyMismatch()
      : Conflict("a device with this uuid is already registered with another deviceApiKey") {}
};

}  // namespace switchboard
