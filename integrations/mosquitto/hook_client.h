// The HTTP side of the plugin: POSTs to Switchboard's live admission routes
// over one libcurl handle, so the TCP (and TLS) connection is kept alive and
// reused from call to call.
//
// Not thread-safe: one HookClient per plugin instance, used from Mosquitto's
// main loop (Mosquitto 2.0 calls plugins from one thread). Each call blocks
// for at most Settings::timeout.
#pragma once

#include <string>

#include "settings.h"
#include "topic_rules.h"

typedef void CURL;
struct curl_slist;

namespace switchboard::mosquitto_plugin {

struct HookAnswer {
  enum class Status {
    kAllow,
    kDeny,
    kIgnore,
    // Switchboard answered, but refused the request itself (4xx: a bad hook
    // token, a field it would not take). Not a decision about the client.
    kRefused,
    // No answer to use: connection refused, timeout, 5xx, an unreadable body.
    kUnreachable,
  };
  Status status = Status::kUnreachable;
  Rules rules;        // kAllow from the auth route: the client's topic rights
  std::string error;  // kRefused / kUnreachable: one line for the log, no secret
};

class HookClient {
 public:
  // Throws std::runtime_error when libcurl cannot be set up.
  explicit HookClient(const Settings& settings);
  ~HookClient();
  HookClient(const HookClient&) = delete;
  HookClient& operator=(const HookClient&) = delete;

  // Takes new settings (SIGHUP); the kept connection is dropped when the
  // URL changed.
  void Reconfigure(const Settings& settings);

  // POST /api/v1/mqtt/auth. A password that is not UTF-8 cannot travel in
  // JSON: answered kIgnore without a call (the broker's other sources may
  // still decide).
  HookAnswer Authenticate(const std::string& username, const std::string& password,
                          const std::string& clientid, const std::string& peerhost);
  // POST /api/v1/mqtt/acl with `action` "publish" or "subscribe".
  HookAnswer CheckAcl(const std::string& username, const std::string& clientid,
                      const std::string& topic, const char* action);

 private:
  HookAnswer Post(const std::string& url, const std::string& body, bool expect_rules);
  void Configure(const Settings& settings);

  CURL* curl_ = nullptr;
  curl_slist* headers_ = nullptr;
  std::string base_url_;
  std::string auth_url_;
  std::string acl_url_;
};

// Reads an answer body of the auth or ACL route. False for anything that is
// not one (the caller treats it as no answer); `error` says why.
bool ParseHookAnswer(const std::string& body, bool expect_rules, HookAnswer& out);

}  // namespace switchboard::mosquitto_plugin
