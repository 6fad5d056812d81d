// switchboard: tells every IoT device which MQTT broker to use.
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli_commands.h"

namespace {

constexpr char kUsage[] =
    "Usage: switchboard <command> [options]\n"
    "\n"
    "Commands:\n"
    "  serve          serve the HTTP API (migrates first when storage.auto_migrate)\n"
    "  migrate        apply pending database migrations\n"
    "  check-config   validate the configuration and load every plugin\n"
    "  resolve        resolve one device's broker and print the trace\n"
    "  keys           create provisioning keys\n"
    "  export         write Mosquitto password and ACL files\n"
    "  rotate-secret-key  seal every broker secret with storage.secret_key_file\n"
    "\n"
    "Every command takes --config FILE (default configs/switchboard.yaml) and --help.\n"
    "Environment: SWITCHBOARD_DATABASE_URL, SWITCHBOARD_LISTEN, SWITCHBOARD_ADMIN_TOKEN.\n";

}  // namespace

int main(int argc, char** argv) {
  namespace cli = switchboard::cli;
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = argv[1];
  const cli::Args args(argv + 2, argv + argc);
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (command == "serve") return cli::RunServe(args);
  if (command == "migrate") return cli::RunMigrate(args);
  if (command == "check-config") return cli::RunCheckConfig(args);
  if (command == "resolve") return cli::RunResolve(args);
  if (command == "keys") return cli::RunKeys(args);
  if (command == "export") return cli::RunExport(args);
  if (command == "rotate-secret-key") return cli::RunRotateSecretKey(args);
  std::cerr << "switchboard: unknown command '" << command << "'\n\n" << kUsage;
  return 2;
}
