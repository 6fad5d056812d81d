#include <chrono>
#include <iostream>

#include "cli_args.h"
#include "cli_commands.h"
#include "config.h"
#include "migrations.h"
#include "storage.h"

namespace switchboard::cli {

// Until the HTTP layer lands, serve migrates and says plainly that it cannot
// serve yet.
int RunServe(const Args& args) {
  try {
    CliArgs options(args, CommonOptions());
    if (options.Has("help")) {
      std::cout << "Usage: switchboard serve [--config FILE]\n\n"
                   "Serves the HTTP API; applies pending migrations first when\n"
                   "storage.auto_migrate is true.\n\n"
                << options.OptionsHelp();
      return 0;
    }
    const Config config = LoadConfigFile(options.Value("config", kDefaultConfigPath));
    Storage storage(config.storage.url, config.storage.pool_size,
                    std::chrono::milliseconds(config.storage.acquire_timeout_ms));
    if (config.storage.auto_migrate) {
      for (const Migration& m : ApplyMigrations(storage)) {
        std::cout << "serve: applied migration " << m.file << '\n';
      }
      std::cout << "serve: database " << storage.RedactedUrl() << " at schema version "
                << CurrentSchemaVersion(storage) << '\n';
    }
    std::cerr << "serve: the HTTP layer is not built yet; nothing listens on "
              << config.server.listen << '\n';
    return 1;
  } catch (const UsageError& e) {
    std::cerr << "switchboard serve: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "switchboard serve: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace switchboard::cli
