// The resolver contract: what a plugin implements to take part in the chain.
//
// How the chain runs (the order lives in the YAML `resolution.chain` only):
//   - Steps run in order. Each answers a Decision:
//       Resolved: this broker, with a short reason, and optionally ordered
//                 alternates. The chain stops; the first Resolved wins.
//       Pass:     not mine, with a reason. The chain goes on to the next step.
//       Reject:   this device must not get a broker, with a reason. The chain
//                 stops; provisioning answers 403.
//   - An exception thrown by Resolve() (any type) becomes an Error step in the
//     trace, prefixed `plugin/<name>:`. The chain goes on, unless the step says
//     `on_error: fail`, in which case it stops and the request gets 503.
//   - When every step passes, there is no broker (HTTP 503). The chain never
//     makes one up.
//   - Every step is timed and recorded in the trace (plugin, outcome, reason,
//     microseconds), which the explain endpoint returns.
//   - A resolver never depends on which steps ran before it.
//   - After the chain, the host builds the device's endpoint list: the
//     resolved broker, then the alternates, then each endpoint's
//     `backup_broker_ids` (flattened once; inactive brokers and duplicates
//     dropped). Endpoints the host knows to be unhealthy move behind the
//     others, and when the resolved broker is unhealthy the first other one
//     is handed out instead (a `health` step in the trace). A resolver that
//     wants health to shape its own choice asks BrokerDirectory::Health().
//
// Threads: Resolve() is called concurrently from many threads on one instance;
// it must be thread-safe. The ResolveContext it receives, and everything it
// hands out (device, broker directory, session, logger), belongs to one call
// and one thread.
//
// Lifetime: the factory creates the resolver once per chain build (startup
// and each reload). The plugin library stays loaded while the resolver lives;
// an old chain's resolvers are destroyed when its last in-flight call ends.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "switchboard/broker.h"
#include "switchboard/broker_directory.h"
#include "switchboard/device.h"
#include "switchboard/export.h"
#include "switchboard/logger.h"

namespace soci {
class session;
}

namespace switchboard {

// What one step answered. Build with the static helpers.
struct Decision {
  enum class Outcome { kResolved, kPass, kReject };

  Outcome outcome = Outcome::kPass;
  std::string reason;
  std::optional<BrokerConfig> broker;  // set iff outcome == kResolved
  // kResolved only: where the device should go, in order, when `broker` is
  // down; the host appends the brokers' backups after them and drops
  // inactive ones and duplicates. Stable per device is best (the device
  // keeps its list while nothing changes). Empty: none.
  std::vector<BrokerConfig> alternates;

  static Decision Resolved(BrokerConfig broker, std::string reason,
                           std::vector<BrokerConfig> alternates = {}) {
    return {Outcome::kResolved, std::move(reason), std::move(broker), std::move(alternates)};
  }
  static Decision Pass(std::string reason) { return {Outcome::kPass, std::move(reason), {}, {}}; }
  static Decision Reject(std::string reason) {
    return {Outcome::kReject, std::move(reason), {}, {}};
  }
};

// "Resolved with this broker if it is active, else Pass saying it is not":
// what a step answers once it has found the one broker that is its to give
// (the device's pinned broker, its fleet's, the default). `role` names the
// broker in the reason, e.g. "assigned broker" gives "assigned broker 'eu-1'
// (id 7)" or "assigned broker 'eu-1' (id 7) is inactive" (DescribeBroker).
// Moves from `broker` (pass std::move of what the directory returned).
SWITCHBOARD_EXPORT Decision ActiveBrokerOrPass(BrokerConfig&& broker, std::string_view role);

// Everything one resolution call may use. Owned by the host; valid for the
// duration of one Resolve() call on one thread. The host implements it; a
// plugin's unit tests may too (docs/plugins.md).
class SWITCHBOARD_EXPORT ResolveContext {
 public:
  virtual ~ResolveContext();

  // The device being resolved. May read storage on first use, and throws
  // (an Error step) when storage is unavailable or when no device has this
  // uuid (the host then answers 404 whatever the chain decided).
  virtual const Device& device() = 0;

  // The brokers and fleets, read through the host's cache (see
  // broker_directory.h): the same directory for every step of one
  // resolution. Its reads throw (an Error step) when storage is
  // unavailable. Use it, not sql(), to read `mqtt_broker_config` and
  // `fleets`.
  virtual BrokerDirectory& brokers() = 0;

  // A database session leased from the host's pool for this call, for a
  // plugin's own tables; the same session for every step of one resolution.
  // Use portable SQL with SOCI `use()` parameters: it runs on SQLite and
  // PostgreSQL. Throws (an Error step) when storage is unavailable. Do not
  // keep it past Resolve(), and do not begin or end transactions on it (at
  // registration it is inside the host's).
  virtual soci::session& sql() = 0;

  // The server's log, prefixed with this step's plugin name.
  virtual Logger& log() = 0;
};

class SWITCHBOARD_EXPORT Resolver {
 public:
  virtual ~Resolver();

  // The plugin's name as it appears in traces, metrics and
  // `X-Switchboard-Resolver` (e.g. "device"). Constant.
  virtual std::string Name() const = 0;

  // Decides for one device. Thread-safe; see the chain rules above.
  virtual Decision Resolve(ResolveContext& context) const = 0;
};

}  // namespace switchboard
