// Domain errors: what the core domain layer (brokers, fleets, devices,
// provisioning keys, registration) throws when a request cannot be served,
// one type per HTTP status.
//
// Every message is written for the client: it never contains SQL text, a
// secret (keys, passwords, API keys) or a hash, so the HTTP layer may send
// what() as is. Anything else a domain call throws is one of:
//   - StorageUnavailable (storage.h): database unreachable, pool exhausted or
//     SQLite busy for longer than its timeout → 503;
//   - anything else (soci::soci_error for a bug, std::bad_alloc, CryptoError)
//     → 500 with a generic message; its what() may contain SQL and must only
//     reach the log (for a soci_error log get_error_message()).
//
// When adding a type, update server/error_mapping (the HTTP engineer's map).
#pragma once

#include <stdexcept>
#include <string>

namespace switchboard {

class DomainError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  // The HTTP status this error maps to (SPEC §4).
  virtual int http_status() const = 0;
  // The `error.code` of the JSON error body.
  virtual const char* code() const = 0;
};

// A missing or invalid input field → 400. field() is the name the SPEC's JSON
// uses for it (`uuid`, `deviceName`, `use_tls`, `mqtt_broker_id`, `limit`).
class ValidationError : public DomainError {
 public:
  ValidationError(std::string field, const std::string& message)
      : DomainError(message), field_(std::move(field)) {}
  int http_status() const override { return 400; }
  const char* code() const override { return "invalid_request"; }
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

// Missing or wrong credentials (unknown provisioning key, unknown device or
// wrong device API key — never saying which) → 401.
class Unauthorized : public DomainError {
 public:
  using DomainError::DomainError;
  int http_status() const override { return 401; }
  const char* code() const override { return "unauthorized"; }
};

// Credentials are valid but the request is refused: provisioning key
// revoked, expired or exhausted, or the chain rejected the device → 403.
// what() is the reason.
class Forbidden : public DomainError {
 public:
  using DomainError::DomainError;
  int http_status() const override { return 403; }
  const char* code() const override { return "forbidden"; }
  std::string reason() const { return what(); }
};

// The addressed row does not exist → 404.
class NotFound : public DomainError {
 public:
  using DomainError::DomainError;
  int http_status() const override { return 404; }
  const char* code() const override { return "not_found"; }
};

// The request contradicts the stored state: duplicate name or id, a broker or
// fleet still in use, a uuid registered with another deviceApiKey → 409.
class Conflict : public DomainError {
 public:
  using DomainError::DomainError;
  int http_status() const override { return 409; }
  const char* code() const override { return "conflict"; }
};

// The chain gave no broker (every step passed, or an `on_error: fail` step
// failed) → 503. Registration is not committed.
class NoBroker : public DomainError {
 public:
  using DomainError::DomainError;
  int http_status() const override { return 503; }
  const char* code() const override { return "no_broker"; }
};

}  // namespace switchboard
