// Hook tokens: the bearer secrets brokers send to the live admission routes
// (`POST /api/v1/mqtt/auth`, `POST /api/v1/mqtt/acl`; mqtt_auth.h).
//
// Two kinds:
//   - one shared token (`mqtt_auth.token_file` or SWITCHBOARD_MQTT_AUTH_TOKEN),
//     read at startup by ReadSharedHookToken();
//   - one token per broker row (`mqtt_hook_tokens`, migration 003), made or
//     rotated by HookTokens::Issue() and shown once. A broker calling with its
//     own token is identified by it, which `mqtt_auth.restrict_to_assigned`
//     needs. Only its SHA-256 is stored, found through a UNIQUE index.
//
// Thread-safe: every call leases its own session (or uses the caller's).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/config.h"
#include "storage/storage.h"

namespace soci {
class session;
}

namespace switchboard {

// The shortest shared token accepted: 32 characters (e.g. `openssl rand -hex
// 32`), like the admin token.
inline constexpr std::size_t kMinHookTokenLength = 32;

// The shared token: SWITCHBOARD_MQTT_AUTH_TOKEN (already in `config.token`)
// or the first line of `config.token_file`; empty when neither is set.
// Throws ConfigError when the file cannot be read or the token is shorter
// than kMinHookTokenLength. Trailing spaces and CR are dropped.
std::string ReadSharedHookToken(const MqttAuthConfig& config);

struct IssuedHookToken {
  std::int64_t broker_id = 0;
  std::string token;       // 256 random bits, URL-safe base64; shown once, never stored
  std::string created_at;  // ISO-8601 UTC
  bool rotated = false;    // the broker had a token, which no longer works
};

// The broker whose token has SHA-256 hex `token_hash`, on the caller's
// session; nullopt when none. Throws soci::soci_error on a database failure.
std::optional<std::int64_t> FindHookTokenBroker(soci::session& sql, const std::string& token_hash);

class HookTokens {
 public:
  // `storage` must outlive this object.
  explicit HookTokens(Storage& storage) : storage_(storage) {}

  // Makes a new token for broker `broker_id`, replacing its old one in the
  // same transaction (from then on only the new token works). Throws
  // NotFound when no broker has this id, StorageUnavailable.
  IssuedHookToken Issue(std::int64_t broker_id);

 private:
  Storage& storage_;
};

}  // namespace switchboard
