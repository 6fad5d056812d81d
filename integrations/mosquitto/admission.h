// Admission: the plugin's decisions, from its cache when it can and from
// Switchboard when it must. plugin.cc turns Verdicts into Mosquitto's codes.
//
// Connecting (Authenticate):
//   - a cached allow younger than positive_ttl, or a deny/ignore younger
//     than negative_ttl, answers without a call;
//   - otherwise POST /api/v1/mqtt/auth: allow → admitted and cached with its
//     topic rights; deny → refused and cached; ignore → Defer (Mosquitto's
//     other sources decide) and cached; a refused request (4xx) → refused;
//   - Switchboard unreachable (or within `backoff` of the last failure): an
//     allow younger than positive_ttl + stale_grace still admits; everything
//     else is refused. A client never seen is never admitted.
// Credentials are cached by username and a salted SHA-256 of the password
// (the salt is random per process): the password itself is never kept.
//
// Topics (CheckAcl): a client admitted here is checked against the rights
// of its last allow, locally. Once those are older than positive_ttl, an
// action they allow is confirmed with POST /api/v1/mqtt/acl first: allow
// renews them; deny (deactivated, reassigned) withdraws them until the client
// authenticates again; unreachable keeps them until stale_grace runs out.
// A username with no rights here (authenticated by another source, or
// dropped from a full cache) is asked about per topic, cached like
// connections; unreachable then means Defer.
//
// Not thread-safe: Mosquitto 2.0 calls plugins from its one thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "hook_client.h"
#include "lru_map.h"
#include "settings.h"
#include "topic_rules.h"

namespace switchboard::mosquitto_plugin {

using Clock = std::chrono::steady_clock;

enum class Verdict { kAllow, kDeny, kDefer };

enum class LogLevel { kInfo, kWarning, kError };
using LogSink = std::function<void(LogLevel, const std::string&)>;

class Admission {
 public:
  // `client` and whatever `now` and `log` use must outlive this object.
  // `now` is the clock (tests pass their own; the plugin Clock::now).
  Admission(Settings settings, HookClient& client, std::function<Clock::time_point()> now,
            LogSink log);

  // Takes new settings (SIGHUP). Cached decisions are kept.
  void Reconfigure(Settings settings);

  // A CONNECT with a username. `password` may be empty (none given).
  Verdict Authenticate(const std::string& username, const std::string& password,
                       const std::string& clientid, const std::string& peerhost);

  // A publish, a delivery or a subscription of a connected client.
  Verdict CheckAcl(const std::string& username, const std::string& clientid,
                   const std::string& topic, Access access);

  // How many credentials and usernames are cached (tests, diagnostics).
  std::size_t cached_credentials() { return credentials_.size(); }

 private:
  struct Credential {
    enum class Kind { kAllow, kDeny, kIgnore } kind = Kind::kDeny;
    Clock::time_point at;
    std::shared_ptr<const Rules> rules;  // kAllow
  };
  struct UserRights {
    std::shared_ptr<const Rules> rules;
    Clock::time_point confirmed_at;  // when Switchboard last vouched for them
    bool withdrawn = false;
  };
  struct TopicDecision {
    Verdict verdict = Verdict::kDeny;
    Clock::time_point at;
  };

  std::string CredentialKey(const std::string& username, const std::string& password) const;
  Verdict FromStaleCache(const std::string& key, const std::string& username,
                         Clock::time_point now);
  Verdict AskPerTopic(const std::string& username, const std::string& clientid,
                      const std::string& topic, Access access, Clock::time_point now);
  // True when calls are held back after a failure.
  bool BackingOff(Clock::time_point now) const { return now < retry_after_; }
  void NoteUnreachable(const HookAnswer& answer, Clock::time_point now);
  void NoteRefused(const HookAnswer& answer);

  Settings settings_;
  HookClient& client_;
  std::function<Clock::time_point()> now_;
  LogSink log_;
  std::string salt_;  // random per process: keys of the credential cache
  LruMap<Credential> credentials_;
  LruMap<UserRights> rights_;
  LruMap<TopicDecision> topics_;
  Clock::time_point retry_after_{};
  bool unreachable_logged_ = false;
};

}  // namespace switchboard::mosquitto_plugin
