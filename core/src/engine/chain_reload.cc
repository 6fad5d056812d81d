#include "engine/chain_reload.h"

#include <mutex>

#include "config/config.h"

namespace switchboard {

std::shared_ptr<const Chain> LoadChainFromFile(const std::string& config_path) {
  return BuildChain(LoadConfigFile(config_path, /*allow_empty=*/false));
}

ReloadResult ReloadChain(ChainHolder& holder, const std::string& config_path, Logger& log) {
  // Two reloads racing could otherwise swap in the older file's chain last.
  static std::mutex reload_mutex;
  std::lock_guard lock(reload_mutex);
  ReloadResult result;
  try {
    std::shared_ptr<const Chain> chain = LoadChainFromFile(config_path);
    holder.Replace(chain);
    result.ok = true;
    result.chain = std::move(chain);
    std::string names;
    for (const auto& step : result.chain->Describe()) {
      names += (names.empty() ? "" : " -> ") + step.name;
    }
    log.Info("chain reloaded from " + config_path + ": " + names);
  } catch (const std::exception& e) {
    result.error = e.what();
    result.chain = holder.Current();
    log.Error("chain reload failed, the previous chain keeps serving: " + result.error);
  }
  return result;
}

}  // namespace switchboard
