// The three device routes of the Switchboard API (docs/api.md), as the
// agent uses them, with what each answer means for the agent:
//   POST /api/v1/device/register     (provisioning key)
//   GET  /api/v1/device/{uuid}/mqtt  (device key, If-None-Match)
//   PUT  /api/v1/device/{uuid}/state (device key)
// Not thread-safe (it uses one HttpClient).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "device_config.h"
#include "etag.h"
#include "http_client.h"
#include "server_answer.h"
#include "state_file.h"

namespace switchboard::agent {

struct RegisterOutcome {
  enum class Kind {
    kRegistered,  // `registration` is set
    kRefused,     // a 4xx other than 408/429: fatal; `message` is the server's
    kRetry,       // no answer, 408/429/5xx or an unreadable 200: try again later
  };
  Kind kind = Kind::kRetry;
  int status = 0;
  std::string message;  // for the log; never a secret
  std::optional<Registration> registration;
  std::vector<std::string> warnings;
};

struct FetchOutcome {
  FetchVerdict verdict = FetchVerdict::kRetry;
  int status = 0;
  std::string message;
  std::optional<DeviceConfig> config;  // with kChanged
  std::vector<std::string> warnings;
};

// The body of PUT …/state.
struct StateReport {
  std::string config_version;  // omitted when empty (a server without versions)
  bool connected = false;
  std::string broker;      // the endpoint's URL; omitted when empty
  std::string last_error;  // omitted when empty
  std::string agent_version;
};

enum class ReportOutcome {
  kStored,       // 2xx
  kUnsupported,  // 404/405: the server has no state route (yet)
  kRefused,      // another 4xx: the server will not take this report; not retried
  kRetry,        // no answer or 5xx
};

class SwitchboardApi {
 public:
  // `server` is the --server URL (scheme, host, port, optional path prefix).
  SwitchboardApi(std::string server, HttpClient& http);

  RegisterOutcome Register(const AgentState& identity, const std::string& provisioning_key,
                           const std::string& agent_version);
  // `version` is the current configVersion ("" when none): sent as
  // If-None-Match. A 200 whose body has no configVersion takes the ETag's.
  FetchOutcome Fetch(const std::string& uuid, const std::string& device_key,
                     const std::string& version);
  ReportOutcome Report(const std::string& uuid, const std::string& device_key,
                       const StateReport& report, std::string* message);

 private:
  std::string base_;
  HttpClient& http_;
};

// The JSON body of a registration or state report (exposed for tests).
std::string RegisterBody(const AgentState& identity, const std::string& agent_version);
std::string ReportBody(const StateReport& report);

}  // namespace switchboard::agent
