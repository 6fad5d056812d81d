// The out-of-line parts of the SDK's interface headers (resolver.h,
// broker_directory.h, logger.h), compiled into libswitchboard_sdk.so only.
//
// Each interface's virtual destructor is defined here, out of line, on
// purpose: it is the class's key function, so the compiler emits the vtable
// and type_info in this library alone, and the host and every plugin share
// them (export.h).
#include <string>
#include <utility>

#include "switchboard/broker_directory.h"
#include "switchboard/logger.h"
#include "switchboard/resolver.h"

namespace switchboard {

Logger::~Logger() = default;
BrokerDirectory::~BrokerDirectory() = default;
BrokerHealthState BrokerDirectory::Health(std::int64_t) { return BrokerHealthState::kUnknown; }
ResolveContext::~ResolveContext() = default;
Resolver::~Resolver() = default;

// Builds the Decision in place: the broker is moved once, into it (this is
// on every config fetch that a device, fleet or default step resolves).
Decision ActiveBrokerOrPass(BrokerConfig&& broker, std::string_view role) {
  Decision decision;
  decision.reason.append(role).append(1, ' ').append(DescribeBroker(broker));
  if (!broker.is_active) {
    decision.outcome = Decision::Outcome::kPass;
    decision.reason += " is inactive";
    return decision;
  }
  decision.outcome = Decision::Outcome::kResolved;
  decision.broker.emplace(std::move(broker));
  return decision;
}

}  // namespace switchboard
