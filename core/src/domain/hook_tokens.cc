#include "domain/hook_tokens.h"

#include <soci/soci.h>

#include <fstream>

#include "domain/domain_errors.h"
#include "storage/session_cache.h"
#include "storage/sql_errors.h"
#include "util/crypto.h"
#include "util/time.h"

namespace switchboard {
namespace {

// Prepared once per pooled session: every hook request that does not carry
// the shared token runs it.
struct HookTokenSelect {
  explicit HookTokenSelect(soci::session& sql)
      : st((sql.prepare << "SELECT broker_id FROM mqtt_hook_tokens WHERE token_hash = :h",
            soci::into(broker_id), soci::use(hash))) {}
  std::string hash;
  long long broker_id = 0;
  soci::statement st;
};

}  // namespace

std::string ReadSharedHookToken(const MqttAuthConfig& config) {
  std::string token = config.token;
  std::string source = "SWITCHBOARD_MQTT_AUTH_TOKEN";
  if (token.empty() && !config.token_file.empty()) {
    std::ifstream in(config.token_file);
    if (!in) throw ConfigError(config.token_file + ": cannot read the MQTT hook token file");
    std::getline(in, token);
    source = config.token_file;
  }
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (!token.empty() && token.size() < kMinHookTokenLength) {
    throw ConfigError(source + ": the MQTT hook token must be at least " +
                      std::to_string(kMinHookTokenLength) +
                      " characters (e.g. `openssl rand -hex 32`)");
  }
  return token;
}

std::optional<std::int64_t> FindHookTokenBroker(soci::session& sql, const std::string& token_hash) {
  std::optional<HookTokenSelect> local;
  HookTokenSelect& q = CachedStatement(sql, local);
  q.hash = token_hash;
  const bool found = q.st.execute(true);
  const std::int64_t broker_id = q.broker_id;
  FinishSingleRow(sql, q.st);
  if (!found) return std::nullopt;
  return broker_id;
}

IssuedHookToken HookTokens::Issue(std::int64_t broker_id) {
  IssuedHookToken issued;
  issued.broker_id = broker_id;
  issued.token = RandomToken(kProvisioningKeyBytes);
  const std::string hash = Sha256Hex(issued.token);
  Storage::Lease lease = storage_.Acquire();
  soci::session& sql = *lease;
  try {
    WriteTransaction tx(storage_, sql);
    long long id = broker_id;
    int brokers = 0;
    sql << "SELECT COUNT(*) FROM mqtt_broker_config WHERE id = :id", soci::use(id),
        soci::into(brokers);
    if (brokers == 0) throw NotFound("no broker with id " + std::to_string(broker_id));
    int existing = 0;
    sql << "SELECT COUNT(*) FROM mqtt_hook_tokens WHERE broker_id = :id", soci::use(id),
        soci::into(existing);
    issued.rotated = existing > 0;
    issued.created_at = UtcNowIso8601();
    sql << "INSERT INTO mqtt_hook_tokens (broker_id, token_hash, created_at) "
           "VALUES (:id, :hash, :created) ON CONFLICT (broker_id) DO UPDATE SET "
           "token_hash = excluded.token_hash, created_at = excluded.created_at",
        soci::use(id), soci::use(hash), soci::use(issued.created_at);
    tx.Commit();
  } catch (const soci::soci_error&) {
    RethrowStorageFailure(sql);
  }
  return issued;
}

}  // namespace switchboard
