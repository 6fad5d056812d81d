// The decisions of the live admission routes. The order of the checks, and
// why every managed user costs one `$7$` check, is in mqtt_auth.h.
#include "domain/mqtt_auth.h"

#include <openssl/crypto.h>
#include <soci/soci.h>

#include <algorithm>
#include <utility>

#include "domain/domain_errors.h"
#include "domain/hook_tokens.h"
#include "domain/mqtt_topics.h"
#include "engine/endpoint_list.h"
#include "engine/resolve_context.h"
#include "storage/session_cache.h"
#include "storage/sql_errors.h"
#include "util/crypto.h"

namespace switchboard {
namespace {

constexpr std::size_t kMaxPeerhostBytes = 255;

// A well-formed `$7$` hash (101 iterations, as registration writes) that no
// password a client sends can be expected to match: unknown `device_…` names
// are checked against it so that they take as long as a wrong password.
const std::string& DummyPasswordHash() {
  static const std::string hash =
      MosquittoPasswordHash("switchboard-no-such-mqtt-user", std::string(kMosquittoSaltBytes, 's'),
                            kMosquittoDefaultIterations);
  return hash;
}

void CheckBytes(const char* field, const std::string& value, std::size_t max) {
  if (value.size() > max) {
    throw ValidationError(
        field, std::string(field) + " must be at most " + std::to_string(max) + " bytes");
  }
}

// A name for log lines: control characters would let a client write lines
// of its own into the log.
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 128)) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(byte < 0x20 || byte == 0x7f ? '?' : c);
  }
  if (text.size() > 128) out += "…";
  return out;
}

const char* RuleAction(const std::string& access) {
  if (access == "read") return "subscribe";
  if (access == "write") return "publish";
  return "all";
}

// `mqtt_users` by username, with the device's uuid and the user's ACL rows
// in insertion order: one row per ACL row (one with NULL access and topic
// when there is none), so one round trip on PostgreSQL. Prepared once per
// pooled session (every hook request runs it).
struct MqttUserSelect {
  explicit MqttUserSelect(soci::session& sql)
      : st((sql.prepare << "SELECT u.password_hash, u.is_active, d.uuid, a.access, a.topic "
                           "FROM mqtt_users u LEFT JOIN devices d ON d.id = u.device_id "
                           "LEFT JOIN mqtt_acls a ON a.username = u.username "
                           "WHERE u.username = :u ORDER BY a.id",
            soci::into(hash), soci::into(active), soci::into(uuid, uuid_ind),
            soci::into(access, access_ind), soci::into(topic, topic_ind), soci::use(username))) {}
  std::string username, hash, uuid, access, topic;
  int active = 0;
  soci::indicator uuid_ind{}, access_ind{}, topic_ind{};
  soci::statement st;
};

struct StoredUser {
  std::string password_hash;
  bool active = false;
  std::optional<std::string> device_uuid;
  std::vector<std::pair<std::string, std::string>> acl;  // (access, topic)
};

std::optional<StoredUser> LoadUser(soci::session& sql, const std::string& username) {
  std::optional<MqttUserSelect> local;
  MqttUserSelect& q = CachedStatement(sql, local);
  q.username = username;
  std::optional<StoredUser> user;
  if (q.st.execute(true)) {
    user.emplace();
    user->password_hash = q.hash;
    user->active = q.active != 0;
    if (q.uuid_ind == soci::i_ok) user->device_uuid = q.uuid;
    do {
      if (q.access_ind == soci::i_ok && q.topic_ind == soci::i_ok) {
        user->acl.emplace_back(q.access, q.topic);
      }
    } while (q.st.fetch());
  }
  FinishSingleRow(sql, q.st);
  return user;
}

bool IsDeviceUsername(std::string_view username) {
  return username.starts_with(kDeviceUsernamePrefix);
}

}  // namespace

const char* HookResultName(HookResult result) {
  switch (result) {
    case HookResult::kAllow:
      return "allow";
    case HookResult::kIgnore:
      return "ignore";
    case HookResult::kDeny:
      break;
  }
  return "deny";
}

PendingAuthentication::PendingAuthentication(std::string username, MqttAuthDecision decided)
    : username_(Printable(username)), decided_(true), decision_(std::move(decided)) {}

PendingAuthentication::PendingAuthentication(std::string username, std::string password,
                                             std::string hash, MqttAuthDecision on_match)
    : username_(Printable(username)),
      password_(std::move(password)),
      hash_(std::move(hash)),
      decision_(std::move(on_match)) {}

PendingAuthentication::PendingAuthentication(const PendingAuthentication&) = default;
PendingAuthentication::PendingAuthentication(PendingAuthentication&&) noexcept = default;

PendingAuthentication::~PendingAuthentication() {
  if (!password_.empty()) OPENSSL_cleanse(password_.data(), password_.size());
}

MqttAuthDecision PendingAuthentication::Finish() {
  if (decided_) return decision_;
  const bool match = VerifyMosquittoPassword(password_, hash_);
  OPENSSL_cleanse(password_.data(), password_.size());
  password_.clear();
  decided_ = true;
  if (!match) {
    // A deny decided before the check keeps its reason; the client is told
    // nothing either way.
    MqttAuthDecision deny;
    deny.reason = decision_.result == HookResult::kDeny ? decision_.reason : "wrong password";
    decision_ = std::move(deny);
  }
  return decision_;
}

std::vector<std::int64_t> DeviceEndpointBrokerIds(const Chain& chain, const Device& device,
                                                  soci::session& sql, Logger& log,
                                                  std::optional<std::int64_t> config_version) {
  PreparedResolveContext context(device, sql, log);
  if (config_version) context.brokers().NoteConfigVersion(sql, *config_version);
  Resolution resolution = chain.Resolve(context);
  if (resolution.rejected || !resolution.broker) return {};
  // Every broker the device may be on: its failover endpoints too (the
  // list's membership does not depend on health, only its order).
  AddEndpoints(resolution, context.brokers(), HealthSnapshot());
  std::vector<std::int64_t> ids;
  for (const Endpoint& endpoint : resolution.endpoints) {
    if (endpoint.broker.from_storage) ids.push_back(endpoint.broker.id);
  }
  return ids;
}

struct MqttAuthService::Caller {
  std::optional<std::int64_t> broker_id;  // set for a broker's own token
};

MqttAuthService::MqttAuthService(Storage& storage, const MqttAuthConfig& config,
                                 const std::string& shared_token, std::string admin_token_hash,
                                 Logger& log)
    : storage_(storage),
      restrict_to_assigned_(config.restrict_to_assigned),
      admin_token_hash_(std::move(admin_token_hash)),
      log_(log) {
  if (!shared_token.empty()) shared_token_hash_ = Sha256Hex(shared_token);
  if (!shared_token_hash_.empty() && shared_token_hash_ == admin_token_hash_) {
    throw ConfigError(
        "mqtt_auth: the MQTT hook token must differ from the admin token (brokers must not hold "
        "the operator's credential)");
  }
}

MqttAuthService::Caller MqttAuthService::Authenticate(soci::session& sql,
                                                      std::string_view hook_token) const {
  if (hook_token.empty()) {
    throw Unauthorized("hook token required (Authorization: Bearer <token>)");
  }
  const std::string hash = Sha256Hex(hook_token);
  if (!admin_token_hash_.empty() && ConstantTimeEquals(hash, admin_token_hash_)) {
    throw Unauthorized(
        "the admin token is not accepted here: brokers call with the MQTT hook token "
        "(mqtt_auth.token_file) or their own (POST /api/v1/mqtt/brokers/{id}/hook-token)");
  }
  if (!shared_token_hash_.empty() && ConstantTimeEquals(hash, shared_token_hash_)) {
    if (restrict_to_assigned_) {
      throw Unauthorized(
          "mqtt_auth.restrict_to_assigned is on: each broker must call with its own hook token "
          "(POST /api/v1/mqtt/brokers/{id}/hook-token)");
    }
    return {};
  }
  if (const std::optional<std::int64_t> broker = FindHookTokenBroker(sql, hash)) {
    return {broker};
  }
  throw Unauthorized("invalid hook token");
}

PendingAuthentication MqttAuthService::PrepareAuthentication(const Chain& chain,
                                                             std::string_view hook_token,
                                                             const MqttAuthRequest& request) {
  std::optional<PendingAuthentication> pending;
  ReadWithRetry(storage_, [&](soci::session& sql) {
    const Caller caller = Authenticate(sql, hook_token);
    CheckBytes("username", request.username, kMaxMqttStringBytes);
    CheckBytes("password", request.password, kMaxMqttStringBytes);
    CheckBytes("clientid", request.clientid, kMaxMqttStringBytes);
    if (request.peerhost) CheckBytes("peerhost", *request.peerhost, kMaxPeerhostBytes);

    MqttAuthDecision decision;
    if (request.username.empty()) {
      decision.result = HookResult::kIgnore;
      decision.reason = "no username";
      pending.emplace(request.username, std::move(decision));
      return;
    }
    const std::optional<StoredUser> user = LoadUser(sql, request.username);
    if (!user) {
      if (!IsDeviceUsername(request.username)) {
        decision.result = HookResult::kIgnore;
        decision.reason = "not a Switchboard user";
        pending.emplace(request.username, std::move(decision));
        return;
      }
      decision.reason = "no such device user";
      pending.emplace(request.username, request.password, DummyPasswordHash(), std::move(decision));
      return;
    }
    if (!user->active) {
      decision.reason = "MQTT user deactivated";
    } else if (restrict_to_assigned_) {
      // The device's row and config_version in one statement: the
      // resolution's broker reads then need no query of their own.
      std::optional<Device> device;
      std::optional<std::int64_t> version;
      if (user->device_uuid) device = LoadDeviceByUuid(sql, *user->device_uuid, &version);
      if (!device) {
        decision.reason = "no device for this MQTT user";
      } else {
        const std::vector<std::int64_t> ids =
            DeviceEndpointBrokerIds(chain, *device, sql, log_, version);
        if (std::find(ids.begin(), ids.end(), *caller.broker_id) == ids.end()) {
          decision.reason = "device not assigned to broker " + std::to_string(*caller.broker_id);
        }
      }
    }
    if (decision.reason.empty()) {
      decision.result = HookResult::kAllow;
      for (const auto& [access, topic] : user->acl) {
        decision.acl.push_back({true, RuleAction(access), topic});
      }
      decision.acl.push_back({false, "all", "#"});
    }
    pending.emplace(request.username, request.password, user->password_hash, std::move(decision));
  });
  return std::move(*pending);
}

MqttAclDecision MqttAuthService::CheckAcl(const Chain& chain, std::string_view hook_token,
                                          const MqttAclRequest& request) {
  MqttAclDecision decision;
  ReadWithRetry(storage_, [&](soci::session& sql) {
    decision = MqttAclDecision{};
    const Caller caller = Authenticate(sql, hook_token);
    CheckBytes("username", request.username, kMaxMqttStringBytes);
    CheckBytes("clientid", request.clientid, kMaxMqttStringBytes);
    if (request.topic.empty()) throw ValidationError("topic", "topic must not be empty");
    CheckBytes("topic", request.topic, kMaxMqttStringBytes);
    if (request.username.empty()) {
      decision.result = HookResult::kIgnore;
      decision.reason = "no username";
      return;
    }
    const std::optional<StoredUser> user = LoadUser(sql, request.username);
    if (!user) {
      const bool device_name = IsDeviceUsername(request.username);
      decision.result = device_name ? HookResult::kDeny : HookResult::kIgnore;
      decision.reason = device_name ? "no such device user" : "not a Switchboard user";
      return;
    }
    if (!user->active) {
      decision.reason = "MQTT user deactivated";
      return;
    }
    if (restrict_to_assigned_) {
      std::optional<Device> device;
      std::optional<std::int64_t> version;
      if (user->device_uuid) device = LoadDeviceByUuid(sql, *user->device_uuid, &version);
      const std::vector<std::int64_t> ids =
          device ? DeviceEndpointBrokerIds(chain, *device, sql, log_, version)
                 : std::vector<std::int64_t>{};
      if (std::find(ids.begin(), ids.end(), *caller.broker_id) == ids.end()) {
        decision.reason = "device not assigned to broker " + std::to_string(*caller.broker_id);
        return;
      }
    }
    const bool publish = request.action == MqttAction::kPublish;
    if (publish ? !IsValidTopicName(request.topic) : !IsValidTopicFilter(request.topic)) {
      decision.reason =
          publish ? "not a publish topic (empty, or with + or #)" : "not a valid topic filter";
      return;
    }
    for (const auto& [access, topic] : user->acl) {
      const bool grants = access == "readwrite" || access == (publish ? "write" : "read");
      if (!grants) continue;
      if (publish ? TopicMatchesFilter(topic, request.topic)
                  : FilterCoversFilter(topic, request.topic)) {
        decision.result = HookResult::kAllow;
        return;
      }
    }
    decision.reason = "no ACL entry grants it";
  });
  if (decision.result == HookResult::kDeny) {
    log_.Info("mqtt acl: deny '" + Printable(request.username) + "' " +
              (request.action == MqttAction::kPublish ? "publish" : "subscribe") + " '" +
              Printable(request.topic) + "' (" + decision.reason + ")");
  }
  return decision;
}

}  // namespace switchboard
