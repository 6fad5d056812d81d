#include <chrono>
#include <iostream>

#include "cli/cli_args.h"
#include "cli/cli_commands.h"
#include "config/config.h"
#include "domain/mosquitto_export.h"
#include "engine/chain.h"
#include "storage/storage.h"
#include "util/log.h"

namespace switchboard::cli {

int RunExport(const Args& args) {
  try {
    std::vector<OptionSpec> specs = CommonOptions();
    specs.push_back({"password-file", true, "Mosquitto password file to write (mode 0600)"});
    specs.push_back({"acl-file", true, "Mosquitto ACL file to write (mode 0600)"});
    specs.push_back({"broker", true, "only the devices that resolve to this broker id"});
    CliArgs options(args, specs);
    if (options.Has("help")) {
      std::cout << "Usage: switchboard export mosquitto --password-file P --acl-file A "
                   "[--broker ID] [--config FILE]\n\n"
                   "Writes the MQTT users of all active devices (or of the devices that\n"
                   "resolve to broker ID) as a Mosquitto 2 password file and ACL file.\n"
                   "The ACL file is a few `pattern` lines when every device's rights follow\n"
                   "provisioning.topics written with {username}; else a block per device.\n"
                   "Each file is replaced atomically. Send Mosquitto SIGHUP to reload.\n\n"
                << options.OptionsHelp();
      return 0;
    }
    if (options.positional() != std::vector<std::string>{"mosquitto"}) {
      throw UsageError("the only export format is 'mosquitto'");
    }
    const std::string password_file = options.Value("password-file");
    const std::string acl_file = options.Value("acl-file");
    if (password_file.empty() || acl_file.empty()) {
      throw UsageError("--password-file and --acl-file are required");
    }
    const Config config = LoadConfigFile(options.Value("config", kDefaultConfigPath));
    Storage storage(config.storage.url, 2, config.storage.acquire_timeout, 2,
                    SqliteCreation::kMustExist);  // only `migrate` creates a database
    MosquittoExportOptions export_options{password_file, acl_file, std::nullopt, nullptr,
                                          config.provisioning};
    std::shared_ptr<const Chain> chain;
    if (options.Has("broker")) {
      const std::string id = options.Value("broker");
      std::size_t used = 0;
      long long broker_id = 0;
      try {
        broker_id = std::stoll(id, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != id.size() || broker_id <= 0) {
        throw UsageError("--broker must be a broker id (a positive number)");
      }
      chain = BuildChain(config);
      export_options.broker_id = broker_id;
      export_options.chain = chain.get();
    }
    const MosquittoExportResult result = ExportMosquitto(storage, export_options, ProcessLogger());
    std::cout << "export: " << result.users << " users to " << password_file << ", "
              << result.acl_entries << (result.patterns ? " pattern lines" : " ACL entries")
              << " to " << acl_file << '\n';
    if (!result.per_user_reason.empty()) {
      std::cout << "export: per-user ACL blocks, because " << result.per_user_reason << '\n';
    }
    return 0;
  } catch (const UsageError& e) {
    std::cerr << "switchboard export: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "switchboard export: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace switchboard::cli
