// switchboard check-config: validate the YAML, load every plugin, validate
// params, print the effective chain. Touches no database.
#include <algorithm>
#include <iostream>
#include <string>

#include "engine/chain.h"
#include "cli/cli_args.h"
#include "cli/cli_commands.h"
#include "config/config.h"
#include "engine/plugin_loader.h"

namespace switchboard::cli {

int RunCheckConfig(const Args& args) {
  try {
    CliArgs options(args, CommonOptions());
    if (options.Has("help")) {
      std::cout << "Usage: switchboard check-config [--config FILE]\n\n"
                   "Validates the configuration file, finds and loads every plugin of\n"
                   "resolution.chain (checking its ABI version), lets each plugin validate its\n"
                   "params, and prints the effective chain. Touches no database.\n\n"
                   "Exit status: 0 valid; 1 invalid, with one `file:line:col: message` line per\n"
                   "problem on stderr; 2 usage error.\n\n"
                << options.OptionsHelp();
      return 0;
    }
    const std::string path = options.Value("config", kDefaultConfigPath);
    const Config config = LoadConfigFile(path);
    const auto chain = BuildChain(config);
    std::cout << path << ": OK\n"
              << "chain (in order; the first Resolved wins):\n";
    const auto steps = chain->Describe();
    std::size_t width = 0;
    for (const StepDescription& step : steps) width = std::max(width, step.name.size());
    int position = 0;
    for (const StepDescription& step : steps) {
      std::cout << "  " << ++position << ". " << step.name
                << std::string(width - step.name.size() + 2, ' ') << "on_error: " << step.on_error
                << std::string(step.on_error.size() < 8 ? 10 - step.on_error.size() : 2, ' ')
                << step.file << '\n';
    }
    std::cout << "plugin search path:\n";
    for (const auto& dir : PluginSearchPath(config.resolution.plugin_dirs)) {
      std::cout << "  " << dir.string() << '\n';
    }
    return 0;
  } catch (const UsageError& e) {
    std::cerr << "switchboard check-config: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const ConfigError& e) {
    std::cerr << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "switchboard check-config: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace switchboard::cli
