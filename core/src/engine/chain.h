// Chain: the ordered resolver steps built from `resolution.chain`, and the
// holder that swaps a new chain in on reload.
//
// A Chain is immutable once built and safe to use from many threads. Each
// step keeps its plugin library loaded for as long as the step lives, so an
// old chain may finish in-flight resolutions after a reload swapped it out.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "health/health_view.h"
#include "switchboard/resolver.h"

namespace switchboard {

// One step of one resolution, as shown by explain and summarised in
// `X-Switchboard-Resolver`. When adding an outcome, update OutcomeName(),
// and RefusalOf() (core/src/domain/chain_refusal.cc) if it can end a
// resolution without a broker; server/api/error_mapping.cc maps refusals to
// HTTP. kFailover and kPanic are never a plugin's: the host's `health`
// step appends them after the chain (engine/endpoint_list.h).
struct TraceStep {
  enum class Outcome { kResolved, kPass, kReject, kError, kFailover, kPanic };
  std::string plugin;
  Outcome outcome = Outcome::kPass;
  std::string reason;
  std::int64_t micros = 0;
};

// "resolved" | "pass" | "reject" | "error" | "failover" | "panic"
const char* OutcomeName(TraceStep::Outcome outcome);

// One entry of a device's endpoint list (engine/endpoint_list.h), with the
// health it was ordered by.
struct Endpoint {
  BrokerConfig broker;
  HealthState health = HealthState::kUnknown;
};

struct Resolution {
  std::optional<BrokerConfig> broker;    // set when a step resolved
  std::vector<BrokerConfig> alternates;  // the resolving step's (Decision::alternates)
  // Filled by the host after the chain (AddEndpoints, endpoint_list.h):
  // what the device is handed, endpoints[0] as its `broker`. Empty until
  // then, and when nothing resolved.
  std::vector<Endpoint> endpoints;
  std::string resolved_by;  // the plugin that resolved; empty otherwise
  bool rejected = false;    // a step rejected (a kRefused refusal)
  bool failed = false;      // an `on_error: fail` step threw (kNoBroker)
  std::string reason;       // the deciding step's reason, or why none decided
  std::vector<TraceStep> trace;
};

// What `GET /api/v1/admin/chain` and `check-config` show of one step.
struct StepDescription {
  std::string name;      // plugin name (Resolver::Name())
  std::string file;      // absolute path of the library
  std::string on_error;  // "continue" | "fail"
};

class Chain {
 public:
  struct Step;  // defined in chain.cc
  explicit Chain(std::vector<std::shared_ptr<const Step>> steps);
  ~Chain();

  // Runs the steps in order for one device (see resolver.h for the rules).
  // Never throws for a plugin's failure: that is an Error step. The one
  // exception that passes through is the context's DeviceNotFound
  // (resolve_context.h): there is nothing to resolve.
  Resolution Resolve(ResolveContext& context) const;

  std::vector<StepDescription> Describe() const;

 private:
  std::vector<std::shared_ptr<const Step>> steps_;
};

// Builds a chain: resolves each step's library (plugin_dirs or path), loads
// it, checks its ABI version, creates the resolver with its params. Throws
// ConfigError naming `file:line:col`, the library and the reason.
std::shared_ptr<const Chain> BuildChain(const Config& config);

// Holds the chain in force. Current() is lock-free for readers in effect
// (one short critical section), Replace() swaps atomically; in-flight users
// keep the old chain alive through their shared_ptr.
class ChainHolder {
 public:
  explicit ChainHolder(std::shared_ptr<const Chain> chain) : chain_(std::move(chain)) {}
  std::shared_ptr<const Chain> Current() const { return std::atomic_load(&chain_); }
  void Replace(std::shared_ptr<const Chain> chain) { std::atomic_store(&chain_, std::move(chain)); }

 private:
  std::shared_ptr<const Chain> chain_;
};

}  // namespace switchboard
