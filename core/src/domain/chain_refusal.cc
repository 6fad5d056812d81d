#include "domain/chain_refusal.h"

namespace switchboard {
namespace {

// The step that decided: the last one run (a Reject, or the failed step
// that stopped the chain).
const std::string& DecidingPlugin(const Resolution& resolution) {
  static const std::string kChain = "chain";
  return resolution.trace.empty() ? kChain : resolution.trace.back().plugin;
}

}  // namespace

ChainRefusal RefusalOf(Resolution resolution) {
  ChainRefusal refusal;
  if (resolution.rejected) {
    refusal.code = DomainCode::kRefused;
    refusal.message = "rejected by the resolution chain (plugin/" + DecidingPlugin(resolution) +
                      "): " + resolution.reason;
  } else {
    refusal.code = DomainCode::kNoBroker;
    // A failed step's reason quotes its error (possibly the database's):
    // the client gets only which step failed.
    refusal.message = resolution.failed && !resolution.trace.empty()
                          ? "no broker: resolution step plugin/" + DecidingPlugin(resolution) +
                                " failed (on_error: fail)"
                          : resolution.reason;
  }
  refusal.resolution = std::move(resolution);
  return refusal;
}

}  // namespace switchboard
