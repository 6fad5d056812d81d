// switchboard resolve --device UUID [--explain]: one resolution through the
// configured chain, no server needed.
#include <chrono>
#include <iostream>

#include "api/explain_json.h"
#include "cli/cli_args.h"
#include "cli/cli_commands.h"
#include "config/config.h"
#include "engine/chain.h"
#include "engine/resolve_context.h"
#include "storage/storage.h"
#include "util/log.h"

namespace switchboard::cli {

int RunResolve(const Args& args) {
  try {
    auto specs = CommonOptions();
    specs.push_back({"device", true, "the device uuid (required)"});
    specs.push_back({"explain", false, "include the trace: plugin, outcome, reason, micros"});
    CliArgs options(args, specs);
    if (options.Has("help")) {
      std::cout << "Usage: switchboard resolve --device UUID [--explain] [--config FILE]\n\n"
                   "Resolves one device's broker through resolution.chain, as the server\n"
                   "would, and prints JSON: broker, brokerConfig (when the broker comes from\n"
                   "storage), resolvedBy, decision, reason; with --explain also the trace, the\n"
                   "same document as GET /api/v1/devices/{uuid}/resolution. Plugin warnings go\n"
                   "to stderr. A storage outage is not fatal: storage-backed steps become\n"
                   "error steps and the others (env) still answer.\n\n"
                   "Exit status: 0 a broker was resolved; 3 no broker (every step passed, a\n"
                   "step rejected the device, or an on_error: fail step failed); 1 configuration\n"
                   "problem or no device with this uuid; 2 usage error.\n\n"
                << options.OptionsHelp();
      return 0;
    }
    const std::string uuid = options.Value("device");
    if (uuid.empty()) throw UsageError("--device UUID is required");
    if (!options.positional().empty()) {
      throw UsageError("unexpected argument '" + options.positional().front() + "'");
    }
    const Config config = LoadConfigFile(options.Value("config", kDefaultConfigPath));
    const auto chain = BuildChain(config);
    Storage storage(config.storage.url, 1, config.storage.acquire_timeout, 2,
                    SqliteCreation::kMustExist);  // only `migrate` creates a database
    const Resolution resolution = ResolveDevice(*chain, storage, uuid, ProcessLogger());
    std::cout << ExplainJson(resolution, options.Has("explain")) << '\n';
    return resolution.broker ? 0 : 3;
  } catch (const UsageError& e) {
    std::cerr << "switchboard resolve: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const ConfigError& e) {
    std::cerr << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "switchboard resolve: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace switchboard::cli
