// switchboard rotate-secret-key: seals every broker secret with the current
// key (storage.secret_key_file). Rows in clear (written before encryption
// was turned on) and rows sealed with a previous key
// (storage.previous_secret_key_files) are re-sealed; afterwards the previous
// key files can be dropped from the configuration (docs/security.md).
#include <soci/soci.h>

#include <iostream>
#include <optional>

#include "cli/cli_args.h"
#include "cli/cli_commands.h"
#include "config/config.h"
#include "storage/storage.h"
#include "util/secret_box.h"

namespace switchboard::cli {
namespace {

struct Counts {
  int resealed = 0;
  int current = 0;
  int unopenable = 0;
};

// One transaction: either every row is re-sealed or none.
Counts Reseal(Storage& storage, const SecretBox& box) {
  Counts counts;
  Storage::Lease lease = storage.Acquire();
  soci::session& sql = *lease;
  WriteTransaction tx(storage, sql);
  std::vector<long long> ids;
  {
    long long id = 0;
    soci::statement st =
        (sql.prepare << "SELECT id FROM mqtt_broker_config ORDER BY id", soci::into(id));
    st.execute();
    while (st.fetch()) ids.push_back(id);
  }
  for (const long long id : ids) {
    for (const char* column : {"password", "client_key", "extra_config"}) {
      std::string stored;
      soci::indicator indicator = soci::i_null;
      sql << "SELECT " + std::string(column) + " FROM mqtt_broker_config WHERE id = :id",
          soci::use(id), soci::into(stored, indicator);
      if (indicator != soci::i_ok || stored.empty()) continue;
      if (box.SealedWithCurrentKey(stored)) {
        ++counts.current;
        continue;
      }
      const std::optional<std::string> plaintext = box.Open(column, stored);
      if (!plaintext) {
        ++counts.unopenable;
        continue;
      }
      const std::string sealed = box.Seal(column, *plaintext);
      sql << "UPDATE mqtt_broker_config SET " + std::string(column) + " = :v WHERE id = :id",
          soci::use(sealed), soci::use(id);
      ++counts.resealed;
    }
  }
  if (counts.unopenable > 0) {
    tx.Rollback();
    return counts;
  }
  // Each UPDATE bumps config_version (its trigger), so a running server
  // reads the re-sealed rows again (config_snapshot.h).
  tx.Commit();
  return counts;
}

}  // namespace

int RunRotateSecretKey(const Args& args) {
  try {
    CliArgs options(args, CommonOptions());
    if (options.Has("help")) {
      std::cout << "Usage: switchboard rotate-secret-key [--config FILE]\n\n"
                   "Seals every broker secret (password, client_key, extra_config) with the\n"
                   "key in storage.secret_key_file: rows in clear and rows sealed with a key\n"
                   "in storage.previous_secret_key_files. One transaction; nothing changes\n"
                   "when a value opens with none of the keys. Safe to run while serving.\n\n"
                << options.OptionsHelp();
      return 0;
    }
    const Config config = LoadConfigFile(options.Value("config", kDefaultConfigPath));
    const auto box = SecretBox::FromKeyFiles(config.storage.secret_key_file,
                                             config.storage.previous_secret_key_files);
    if (!box) {
      std::cerr << "switchboard rotate-secret-key: storage.secret_key_file is not set\n";
      return 1;
    }
    Storage storage(config.storage.url, 1, config.storage.acquire_timeout, 0,
                    SqliteCreation::kMustExist);
    const Counts counts = Reseal(storage, *box);
    if (counts.unopenable > 0) {
      std::cerr << "switchboard rotate-secret-key: " << counts.unopenable
                << " value(s) open with none of the configured keys (add the key that sealed "
                   "them to storage.previous_secret_key_files); nothing changed\n";
      return 1;
    }
    std::cout << "rotate-secret-key: " << counts.resealed << " value(s) sealed with key "
              << SecretBox::KeyId(SecretBox::ReadKeyFile(config.storage.secret_key_file)) << ", "
              << counts.current << " already were\n";
    return 0;
  } catch (const UsageError& e) {
    std::cerr << "switchboard rotate-secret-key: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "switchboard rotate-secret-key: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace switchboard::cli
