#include "admission.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace switchboard::mosquitto_plugin {
namespace {

std::string RandomBytes(std::size_t count) {
  std::string bytes(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
    throw std::runtime_error("the OS random number generator failed");
  }
  return bytes;
}

std::string Sha256(const std::string& a, const std::string& b) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 &&
                  EVP_DigestUpdate(ctx, b.data(), b.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, digest, &size) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) throw std::runtime_error("SHA-256 failed");
  return std::string(reinterpret_cast<const char*>(digest), size);
}

}  // namespace

Admission::Admission(Settings settings, HookClient& client, std::function<Clock::time_point()> now,
                     LogSink log)
    : settings_(std::move(settings)),
      client_(client),
      now_(std::move(now)),
      log_(std::move(log)),
      salt_(RandomBytes(32)),
      credentials_(settings_.cache_size),
      rights_(settings_.cache_size),
      topics_(settings_.cache_size) {}

void Admission::Reconfigure(Settings settings) {
  settings_ = std::move(settings);
  credentials_.SetCapacity(settings_.cache_size);
  rights_.SetCapacity(settings_.cache_size);
  topics_.SetCapacity(settings_.cache_size);
  retry_after_ = {};
}

std::string Admission::CredentialKey(const std::string& username,
                                     const std::string& password) const {
  // The username stays readable in the key (it is no secret); the password
  // only as a salted digest. '\n' cannot occur in an MQTT username here.
  return username + '\n' + Sha256(salt_, password);
}

void Admission::NoteUnreachable(const HookAnswer& answer, Clock::time_point now) {
  retry_after_ = now + settings_.backoff;
  // One line per outage, not one per client.
  if (!unreachable_logged_) {
    log_(LogLevel::kWarning, "switchboard: " + answer.error +
                                 "; admitting only clients allowed within the stale grace");
    unreachable_logged_ = true;
  }
}

void Admission::NoteRefused(const HookAnswer& answer) {
  log_(LogLevel::kError, "switchboard: " + answer.error);
}

Verdict Admission::FromStaleCache(const std::string& key, const std::string& username,
                                  Clock::time_point now) {
  const Credential* cached = credentials_.Find(key);
  if (cached != nullptr && cached->kind == Credential::Kind::kAllow &&
      now - cached->at < settings_.positive_ttl + settings_.stale_grace) {
    rights_.Put(username, {cached->rules, cached->at, false});
    log_(LogLevel::kInfo, "switchboard: Switchboard unreachable: admitting '" + username +
                              "' from its allow within the stale grace");
    return Verdict::kAllow;
  }
  return Verdict::kDeny;
}

Verdict Admission::Authenticate(const std::string& username, const std::string& password,
                                const std::string& clientid, const std::string& peerhost) {
  const Clock::time_point now = now_();
  const std::string key = CredentialKey(username, password);
  if (const Credential* cached = credentials_.Find(key)) {
    const auto age = now - cached->at;
    switch (cached->kind) {
      case Credential::Kind::kAllow:
        if (age < settings_.positive_ttl) {
          rights_.Put(username, {cached->rules, cached->at, false});
          return Verdict::kAllow;
        }
        break;
      case Credential::Kind::kDeny:
        if (age < settings_.negative_ttl) return Verdict::kDeny;
        break;
      case Credential::Kind::kIgnore:
        if (age < settings_.negative_ttl) return Verdict::kDefer;
        break;
    }
  }
  if (BackingOff(now)) return FromStaleCache(key, username, now);
  const HookAnswer answer = client_.Authenticate(username, password, clientid, peerhost);
  switch (answer.status) {
    case HookAnswer::Status::kAllow: {
      unreachable_logged_ = false;
      auto rules = std::make_shared<const Rules>(answer.rules);
      credentials_.Put(key, {Credential::Kind::kAllow, now, rules});
      rights_.Put(username, {rules, now, false});
      return Verdict::kAllow;
    }
    case HookAnswer::Status::kDeny:
      unreachable_logged_ = false;
      credentials_.Put(key, {Credential::Kind::kDeny, now, nullptr});
      return Verdict::kDeny;
    case HookAnswer::Status::kIgnore:
      unreachable_logged_ = false;
      credentials_.Put(key, {Credential::Kind::kIgnore, now, nullptr});
      return Verdict::kDefer;
    case HookAnswer::Status::kRefused:
      NoteRefused(answer);
      return Verdict::kDeny;
    case HookAnswer::Status::kUnreachable:
      break;
  }
  NoteUnreachable(answer, now);
  return FromStaleCache(key, username, now);
}

Verdict Admission::CheckAcl(const std::string& username, const std::string& clientid,
                            const std::string& topic, Access access) {
  const Clock::time_point now = now_();
  UserRights* rights = rights_.Find(username);
  if (rights == nullptr) return AskPerTopic(username, clientid, topic, access, now);
  if (rights->withdrawn) return Verdict::kDeny;
  if (!Allowed(*rights->rules, access, topic)) return Verdict::kDeny;
  if (now - rights->confirmed_at < settings_.positive_ttl) return Verdict::kAllow;
  // The rights are older than positive_ttl: confirm this action first.
  if (!BackingOff(now)) {
    const HookAnswer answer = client_.CheckAcl(username, clientid, topic, HookAction(access));
    switch (answer.status) {
      case HookAnswer::Status::kAllow:
        unreachable_logged_ = false;
        rights->confirmed_at = now;
        return Verdict::kAllow;
      case HookAnswer::Status::kDeny:
      case HookAnswer::Status::kIgnore:
        unreachable_logged_ = false;
        rights->withdrawn = true;
        log_(LogLevel::kInfo, "switchboard: the rights of '" + username +
                                  "' were withdrawn; denied until it connects again");
        return Verdict::kDeny;
      case HookAnswer::Status::kRefused:
        NoteRefused(answer);
        return Verdict::kDeny;
      case HookAnswer::Status::kUnreachable:
        NoteUnreachable(answer, now);
        break;
    }
  }
  return now - rights->confirmed_at < settings_.positive_ttl + settings_.stale_grace
             ? Verdict::kAllow
             : Verdict::kDeny;
}

Verdict Admission::AskPerTopic(const std::string& username, const std::string& clientid,
                               const std::string& topic, Access access, Clock::time_point now) {
  const std::string key = username + '\n' + std::to_string(static_cast<int>(access)) + '\n' + topic;
  if (const TopicDecision* cached = topics_.Find(key)) {
    const auto ttl =
        cached->verdict == Verdict::kAllow ? settings_.positive_ttl : settings_.negative_ttl;
    if (now - cached->at < ttl) return cached->verdict;
  }
  if (BackingOff(now)) return Verdict::kDefer;
  const HookAnswer answer = client_.CheckAcl(username, clientid, topic, HookAction(access));
  Verdict verdict = Verdict::kDefer;
  switch (answer.status) {
    case HookAnswer::Status::kAllow:
      verdict = Verdict::kAllow;
      break;
    case HookAnswer::Status::kDeny:
      verdict = Verdict::kDeny;
      break;
    case HookAnswer::Status::kIgnore:
      verdict = Verdict::kDefer;
      break;
    case HookAnswer::Status::kRefused:
      NoteRefused(answer);
      return Verdict::kDeny;
    case HookAnswer::Status::kUnreachable:
      NoteUnreachable(answer, now);
      return Verdict::kDefer;
  }
  unreachable_logged_ = false;
  topics_.Put(key, {verdict, now});
  return verdict;
}

}  // namespace switchboard::mosquitto_plugin
