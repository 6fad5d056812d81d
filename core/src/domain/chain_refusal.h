// ChainRefusal: the resolution chain decided against a device, returned as a
// value beside the answer it replaces (OrRefusal<T>), not thrown.
//
// A refusal is one of two domain codes (domain_errors.h):
//   - kRefused: a step answered Reject;
//   - kNoBroker: every step passed, or a step with `on_error: fail` failed.
// It carries the whole Resolution so the caller can name the deciding steps
// (X-Switchboard-Resolver) and count them in the metrics as it does for an
// answer; the resolution has no broker, so no secret.
// server/api/error_mapping.cc turns a refusal into its HTTP response.
//
// Plain values; thread-compatible.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "domain/domain_errors.h"
#include "engine/chain.h"

namespace switchboard {

struct ChainRefusal {
  DomainCode code = DomainCode::kNoBroker;  // kRefused or kNoBroker
  // For the client: the rejecting plugin and its reason, or why no broker.
  // Never a failed step's own error text (it may quote the database):
  // explain shows that to operators.
  std::string message;
  Resolution resolution;  // rejected, or without a broker
};

// The refusal `resolution` amounts to; REQUIRES: it has no broker (it was
// rejected, or nothing resolved). Takes the resolution over.
ChainRefusal RefusalOf(Resolution resolution);

// Either the answer of a resolving call or the chain's refusal.
//   OrRefusal<DeviceMqttAccess> access = service.DeviceMqtt(...);
//   if (access.refused()) return Answer(access.refusal());
//   Use(access.value());
// value() on a refusal (or refusal() on an answer) is a bug and throws
// std::bad_variant_access. [[nodiscard]]: dropping one would drop a refusal.
template <typename T>
class [[nodiscard]] OrRefusal {
 public:
  // Implicit, so that a function returns either one directly.
  OrRefusal(T value) : value_(std::move(value)) {}
  OrRefusal(ChainRefusal refusal) : value_(std::move(refusal)) {}

  bool refused() const { return std::holds_alternative<ChainRefusal>(value_); }
  T& value() { return std::get<T>(value_); }
  const T& value() const { return std::get<T>(value_); }
  const ChainRefusal& refusal() const { return std::get<ChainRefusal>(value_); }

 private:
  std::variant<T, ChainRefusal> value_;
};

}  // namespace switchboard
