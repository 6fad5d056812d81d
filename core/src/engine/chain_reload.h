// Reloading the chain from the configuration file (SIGHUP,
// POST /api/v1/admin/reload).
//
// Only `resolution` takes effect on reload: a new chain is built from the
// re-read file and swapped in; server and storage settings need a restart.
// In-flight resolutions finish on the chain they started with (they hold a
// shared_ptr to it); its plugin libraries stay loaded until the last one
// ends. Safe to call from any thread, concurrently with resolutions;
// concurrent reloads are serialised.
#pragma once

#include <memory>
#include <string>

#include "engine/chain.h"
#include "switchboard/logger.h"

namespace switchboard {

struct ReloadResult {
  bool ok = false;
  // On failure, why (`file:line:col: message`, one line per problem); the
  // old chain keeps serving.
  std::string error;
  // The chain in force after the call (the new one on success).
  std::shared_ptr<const Chain> chain;
};

// Reads `config_path` (LoadConfigFile), builds a chain, and on success
// replaces the holder's chain. Logs the outcome. Never throws.
ReloadResult ReloadChain(ChainHolder& holder, const std::string& config_path, Logger& log);

// Reads `config_path` and builds its chain. Throws ConfigError, also for a
// file with no configuration in it (a truncated file must not reset the
// chain to the built-in defaults).
std::shared_ptr<const Chain> LoadChainFromFile(const std::string& config_path);

}  // namespace switchboard
