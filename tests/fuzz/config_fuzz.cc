// libFuzzer target: the YAML configuration (core/src/config/config.h) and,
// when it parses, every plugin's params validation (BuildChain loads the
// built-in plugins of this build and hands each its params). A bad input
// must end as ConfigError (`file:line:col: message`), never as another
// exception or a crash. plugin_dirs from the input are replaced by this
// build's plugin folder: the target must not dlopen arbitrary libraries.
#include <dlfcn.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "config/config.h"
#include "engine/chain.h"

// BuildChain loads and unloads the plugins for every input; libFuzzer keeps
// the coverage counters of every instrumented library it saw and writes to
// them between inputs, so an unloaded plugin crashes it (SEGV in
// ClearInlineCounters). Pinned once, the plugins stay mapped.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  for (const auto& entry : std::filesystem::directory_iterator(SWITCHBOARD_PLUGIN_DIR)) {
    if (entry.path().extension() != ".so") continue;
    if (dlopen(entry.path().c_str(), RTLD_NOW | RTLD_NODELETE) == nullptr) std::abort();
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  try {
    switchboard::Config config = switchboard::ParseConfig(yaml, "fuzz.yaml");
    config.resolution.plugin_dirs = {SWITCHBOARD_PLUGIN_DIR};
    for (auto& step : config.resolution.chain) {
      if (!step.path.empty()) {  // a library file named by the input: not loaded
        step.path.clear();
        step.plugin = "env";
      }
    }
    switchboard::BuildChain(config);
  } catch (const switchboard::ConfigError&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "not a ConfigError: %s\n", e.what());
    std::abort();
  }
  return 0;
}
