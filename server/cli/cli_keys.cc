// switchboard keys create --fleet F [...]: a provisioning key without a
// running server (the first key of a fresh install), through the same
// ProvisioningKeys class as POST /api/v1/provisioning-keys.
//
// stdout gets the key and nothing else, so `KEY=$(switchboard keys create
// --fleet f1)` captures it; what was created (id, fleet, limits) goes to
// stderr.
#include <charconv>
#include <chrono>
#include <iostream>

#include "cli/cli_args.h"
#include "cli/cli_commands.h"
#include "config/config.h"
#include "domain/domain_errors.h"
#include "domain/fleets.h"
#include "domain/provisioning_keys.h"
#include "storage/migrations.h"
#include "storage/storage.h"

namespace switchboard::cli {
namespace {

constexpr char kHelp[] =
    "Usage: switchboard keys create --fleet F [--max-devices N] [--expires-in-days D]\n"
    "                               [--description TEXT] [--config FILE]\n"
    "\n"
    "Creates a provisioning key for fleet F (the fleet is created, named after\n"
    "its id, when it does not exist) and prints the key on stdout, alone, so\n"
    "that KEY=$(switchboard keys create --fleet f1) captures it. The key is\n"
    "shown this once: only its SHA-256 is stored. Its id, fleet, device limit\n"
    "and expiry are printed on stderr. Applies pending migrations first when\n"
    "storage.auto_migrate is true (the default).\n"
    "\n"
    "Without --max-devices the key registers any number of devices; without\n"
    "--expires-in-days it never expires. Revoke keys with\n"
    "DELETE /api/v1/provisioning-keys/{id}.\n"
    "\n"
    "Exit status: 0 created; 1 failure (one line on stderr); 2 usage error.\n"
    "\n";

std::optional<std::int64_t> IntegerOption(const CliArgs& options, const std::string& name) {
  if (!options.Has(name)) return std::nullopt;
  const std::string text = options.Value(name);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    throw UsageError("--" + name + " must be a whole number");
  }
  return value;
}

// The domain names fields as the HTTP API does ("maxDevices must be
// between ..."); say them as the options here ("--max-devices must be ...").
std::string AsOptionMessage(const ValidationError& e) {
  std::string option = e.field();
  if (option == "fleetId") option = "--fleet";
  if (option == "maxDevices") option = "--max-devices";
  if (option == "expiresInDays") option = "--expires-in-days";
  if (option == "description") option = "--description";
  const std::string message = e.what();
  if (message.rfind(e.field(), 0) == 0) return option + message.substr(e.field().size());
  return option + ": " + message;
}

int CreateKey(const CliArgs& options) {
  if (options.positional().size() > 1) {
    throw UsageError("unexpected argument '" + options.positional()[1] + "'");
  }
  if (!options.Has("fleet")) throw UsageError("--fleet F is required");
  ProvisioningKeyRequest request;
  request.fleet_id = options.Value("fleet");
  request.max_devices = IntegerOption(options, "max-devices");
  request.expires_in_days = IntegerOption(options, "expires-in-days");
  if (options.Has("description")) request.description = options.Value("description");

  // What can be checked without the database is, so that a mistyped
  // command line never migrates or opens anything.
  ValidateFleetId(request.fleet_id, "fleetId");
  if (request.max_devices && *request.max_devices < 1) {
    throw UsageError("--max-devices must be at least 1 (omit it for no limit)");
  }
  if (request.expires_in_days && *request.expires_in_days < 1) {
    throw UsageError("--expires-in-days must be at least 1 (omit it to never expire)");
  }

  const Config config = LoadConfigFile(options.Value("config", kDefaultConfigPath));
  // Quietly, like `migrate`: the first key of a fresh install may come
  // before the first `serve`, and a database made here is migrated at once
  // (never left empty for `serve` to find).
  Storage storage(
      config.storage.url, 1, config.storage.acquire_timeout, 2,
      config.storage.auto_migrate ? SqliteCreation::kCreateIfMissing : SqliteCreation::kMustExist);
  if (config.storage.auto_migrate) ApplyMigrations(storage);
  const CreatedProvisioningKey created = ProvisioningKeys(storage).Create(request);
  const ProvisioningKeyInfo& info = created.info;
  std::cout << created.key << std::endl;
  std::cerr << "keys: created provisioning key " << info.id << " for fleet '" << info.fleet_id
            << "'" << (created.fleet_created ? " (new fleet)" : "") << "; max devices: "
            << (info.max_devices ? std::to_string(*info.max_devices) : "unlimited")
            << "; expires: " << (info.expires_at.empty() ? "never" : info.expires_at)
            << ". Store the key now: it cannot be shown again.\n";
  return 0;
}

}  // namespace

int RunKeys(const Args& args) {
  try {
    std::vector<OptionSpec> specs = CommonOptions();
    specs.push_back({"fleet", true, "fleet id the key provisions into (required)"});
    specs.push_back({"max-devices", true, "how many devices it may register (default: no limit)"});
    specs.push_back({"expires-in-days", true, "days until it expires (default: never)"});
    specs.push_back({"description", true, "free text shown when keys are listed"});
    CliArgs options(args, specs);
    if (options.Has("help")) {
      std::cout << kHelp << options.OptionsHelp();
      return 0;
    }
    if (options.positional().empty()) throw UsageError("missing subcommand (create)");
    if (options.positional().front() != "create") {
      throw UsageError("unknown subcommand '" + options.positional().front() + "'");
    }
    return CreateKey(options);
  } catch (const UsageError& e) {
    std::cerr << "switchboard keys: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const ValidationError& e) {  // a bad option value
    std::cerr << "switchboard keys: " << AsOptionMessage(e) << " (see --help)\n";
    return 2;
  } catch (const ConfigError& e) {
    std::cerr << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "switchboard keys: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace switchboard::cli
