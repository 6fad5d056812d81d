// Live broker admission: what `POST /api/v1/mqtt/auth` and
// `POST /api/v1/mqtt/acl` decide when a broker asks whether to admit a client
// and what it may do. The answers have the shape EMQX 5's HTTP authentication
// and authorization expect; the Mosquitto plugin (integrations/mosquitto/)
// asks the same routes.
//
// Who is managed. Every row of `mqtt_users` is Switchboard's, and so is every
// username starting with `device_` (the prefix registration gives devices).
// A managed user is answered allow or deny; anyone else `ignore`, so the
// broker's other sources (a password file, another plugin) decide. A
// `device_…` name with no row is denied, never ignored: no other source may
// admit a name that looks like a device.
//
// Authentication in two halves, so the `$7$` check (PBKDF2-SHA512, CPU only)
// can run off the HTTP threads:
//   1. PrepareAuthentication(), on the request thread: checks the hook token,
//      validates the fields, reads the user, its ACL rows and, with
//      `restrict_to_assigned`, resolves the device;
//   2. PendingAuthentication::Finish(), on any thread: one `$7$` check and
//      the decision.
// Every managed user costs exactly one `$7$` check whatever the outcome
// (unknown `device_…` names and refused devices are checked against a dummy
// hash), so a deny takes as long as an allow: the timing tells nothing about
// which part was wrong.
//
// Hook tokens (hook_tokens.h): the shared token identifies no broker; a
// broker's own token identifies it. The admin token is refused. With
// `restrict_to_assigned` the shared token is refused too, and a device is
// admitted only when the calling broker is in DeviceEndpointBrokerIds().
//
// Thread-safe: each call leases its own session; a PendingAuthentication is a
// value owned by one thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "engine/chain.h"
#include "storage/storage.h"
#include "switchboard/device.h"
#include "switchboard/logger.h"

namespace soci {
class session;
}

namespace switchboard {

// The username prefix registration gives devices (provisioning.h, MqttUsername).
inline constexpr std::string_view kDeviceUsernamePrefix = "device_";

enum class HookResult { kAllow, kDeny, kIgnore };

// "allow" | "deny" | "ignore"
const char* HookResultName(HookResult result);

// One entry of the `acl` list of an allow, in EMQX 5's client-ACL shape.
struct AclRule {
  bool allow = true;   // "permission": "allow" | "deny"
  std::string action;  // "publish" | "subscribe" | "all"
  std::string topic;   // a topic filter
};

struct MqttAuthDecision {
  HookResult result = HookResult::kDeny;
  // Allow only: the user's rights, in `mqtt_acls` order, then one
  // `deny all #` so that a broker whose default for unmatched topics is
  // allow (EMQX's `no_match`) still denies the rest.
  std::vector<AclRule> acl;
  // For the log only, never for the client: why (e.g. "wrong password").
  std::string reason;
};

// `POST /api/v1/mqtt/auth` body.
struct MqttAuthRequest {
  std::string username;                 // 1..65535 bytes
  std::string password;                 // 0..65535 bytes (an MQTT password's limit)
  std::string clientid;                 // 0..65535 bytes
  std::optional<std::string> peerhost;  // 0..255 bytes; only logged
};

enum class MqttAction { kPublish, kSubscribe };

// `POST /api/v1/mqtt/acl` body.
struct MqttAclRequest {
  std::string username;  // 1..65535 bytes
  std::string clientid;  // 0..65535 bytes
  std::string topic;     // publish: a topic name; subscribe: a topic filter
  MqttAction action = MqttAction::kPublish;
};

struct MqttAclDecision {
  HookResult result = HookResult::kDeny;
  std::string reason;  // for the log only
};

// The half of an authentication that runs off the request thread.
// Copyable; holds the presented password until Finish() wipes it.
class PendingAuthentication {
 public:
  // Already decided without a hash check (an unmanaged user: ignore).
  PendingAuthentication(std::string username, MqttAuthDecision decided);
  // One `$7$` check of `password` against `hash`. `on_match` is the
  // decision when it matches: an allow, or a deny that must take as long as
  // a wrong password. A mismatch is a deny ("wrong password", or on_match's
  // reason when that is a deny already).
  PendingAuthentication(std::string username, std::string password, std::string hash,
                        MqttAuthDecision on_match);
  ~PendingAuthentication();
  PendingAuthentication(const PendingAuthentication&);
  PendingAuthentication& operator=(const PendingAuthentication&) = delete;
  PendingAuthentication(PendingAuthentication&&) noexcept;

  // False when the decision is already made (Finish() is then instant).
  bool needs_verification() const { return !decided_; }
  // The username asked about, with control characters replaced: for logs.
  const std::string& printable_username() const { return username_; }

  // The decision. Runs the `$7$` check when needed (PBKDF2-SHA512 with the
  // hash's iteration count; at the 101 registration writes, a few tenths of
  // a millisecond of one core). Call once.
  MqttAuthDecision Finish();

 private:
  std::string username_;
  bool decided_ = false;
  std::string password_;
  std::string hash_;
  MqttAuthDecision decision_;
};

// The brokers by which `device` may be admitted (`restrict_to_assigned`):
// its current endpoint list (engine/endpoint_list.h: the resolved broker,
// the resolver's alternates, the backups), the brokers
// `GET /api/v1/device/{uuid}/mqtt` hands out as `broker` and `failover`,
// whatever their health; nothing else decides admission by broker. Empty
// when the chain rejects the device or finds no broker; an env broker (not
// a row) is never in it. Runs on the caller's session; `config_version`,
// when the caller read it with the device (LoadDeviceByUuid), serves the
// resolution's broker reads.
std::vector<std::int64_t> DeviceEndpointBrokerIds(
    const Chain& chain, const Device& device, soci::session& sql, Logger& log,
    std::optional<std::int64_t> config_version = std::nullopt);

class MqttAuthService {
 public:
  // `shared_token` (ReadSharedHookToken; may be empty) and
  // `admin_token_hash` (SHA-256 hex; may be empty) are kept hashed. Throws
  // ConfigError when the shared token is the admin token. `storage` and
  // `log` must outlive the service.
  MqttAuthService(Storage& storage, const MqttAuthConfig& config, const std::string& shared_token,
                  std::string admin_token_hash, Logger& log);

  // Step 1 of `POST /api/v1/mqtt/auth`. `hook_token`: the bearer token as
  // presented. Throws Unauthorized (no, unknown or admin token; the shared
  // token under restrict_to_assigned), ValidationError naming the field,
  // StorageUnavailable.
  PendingAuthentication PrepareAuthentication(const Chain& chain, std::string_view hook_token,
                                              const MqttAuthRequest& request);

  // `POST /api/v1/mqtt/acl`, whole (no hash check). A publish topic with `+`
  // or `#`, or a malformed subscribe filter, is denied. Throws as
  // PrepareAuthentication.
  MqttAclDecision CheckAcl(const Chain& chain, std::string_view hook_token,
                           const MqttAclRequest& request);

  bool restrict_to_assigned() const { return restrict_to_assigned_; }
  bool shared_token_configured() const { return !shared_token_hash_.empty(); }

 private:
  struct Caller;  // who called (mqtt_auth.cc)
  Caller Authenticate(soci::session& sql, std::string_view hook_token) const;

  Storage& storage_;
  const bool restrict_to_assigned_;
  std::string shared_token_hash_;
  const std::string admin_token_hash_;
  Logger& log_;
};

}  // namespace switchboard
