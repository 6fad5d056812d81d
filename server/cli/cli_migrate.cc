#include <chrono>
#include <iostream>

#include "cli/cli_args.h"
#include "cli/cli_commands.h"
#include "config/config.h"
#include "storage/migrations.h"
#include "storage/storage.h"

namespace switchboard::cli {

int RunMigrate(const Args& args) {
  try {
    CliArgs options(args, CommonOptions());
    if (options.Has("help")) {
      std::cout << "Usage: switchboard migrate [--config FILE]\n\n"
                   "Applies pending migrations in order, each in its own transaction, and\n"
                   "records them in schema_migrations. Re-running applies nothing.\n\n"
                << options.OptionsHelp();
      return 0;
    }
    const Config config = LoadConfigFile(options.Value("config", kDefaultConfigPath));
    Storage storage(config.storage.url, 1, config.storage.acquire_timeout);
    const auto applied = ApplyMigrations(storage);
    if (applied.empty()) {
      std::cout << "migrate: " << storage.RedactedUrl() << " is up to date (version "
                << CurrentSchemaVersion(storage) << ")\n";
    }
    for (const Migration& m : applied) std::cout << "migrate: applied " << m.file << '\n';
    return 0;
  } catch (const UsageError& e) {
    std::cerr << "switchboard migrate: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "switchboard migrate: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace switchboard::cli
