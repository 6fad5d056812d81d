// The agent's life: identity, registration, the connection to a broker and
// following the server's changes. Everything runs on the calling thread;
// libmosquitto's network thread only records events (mqtt_link.h).
//
// What it does, in order (agent/README.md tells device makers the same):
//  1. Locks the state directory, loads the state file or makes a new
//     identity (uuid v4, 256-bit device key) and stores it before anything
//     is sent. A corrupt state file stops it (exit 1), file untouched.
//  2. Registers when the state says it has not yet (also after a lost
//     answer: same uuid and key, the server's idempotent retry). The answer
//     is stored before it is used. A 4xx is fatal with the server's message;
//     no answer, 5xx or an unreadable answer is retried with backoff.
//  3. Connects to the endpoints in order (broker, then failover), each
//     attempt after a jittered exponential delay (backoff.h): the n-th
//     attempt on an endpoint waits initialDelayMs · 2^(n-1+rounds), rounds
//     being the whole walks of the list since the last connection; after
//     attemptsPerEndpoint failures it moves to the next endpoint, and after
//     the last one it re-fetches its config and starts again at the first.
//  4. Once connected: publishes a retained `online` on its status topic
//     (the last will says `offline`), reports its state, and on a backup
//     tries the primary again every failbackAfterSeconds (when the primary
//     accepts TCP connections).
//  5. Every refreshAfterSeconds (± 10 %) fetches its config with
//     If-None-Match; a changed config is stored, then acted on: a new
//     primary broker (or one it is not connected to) makes it move; CA or
//     verification changes apply at the next connection. Failed refreshes
//     are retried with backoff while the broker connection stays up.
//  6. On a stop request (SIGTERM, SIGINT): `offline` published, DISCONNECT
//     (so no will), a last state report, exit 0.
#pragma once

#include <chrono>
#include <csignal>
#include <optional>
#include <string>

#include "backoff.h"
#include "device_config.h"
#include "event_log.h"
#include "http_client.h"
#include "mqtt_link.h"
#include "options.h"
#include "state_file.h"
#include "switchboard_api.h"
#include "waker.h"

namespace switchboard::agent {

inline constexpr char kAgentVersion[] = SWITCHBOARD_AGENT_VERSION;

class Agent {
 public:
  // `stop` is set (to non-zero) by the signal handler, which then notifies
  // `waker`. All references must outlive the Agent.
  Agent(const Options& options, EventLog& log, Waker& waker,
        const volatile std::sig_atomic_t& stop);

  // Runs until stopped (returns 0), or until a fatal error (returns 1,
  // after logging it). With --once: returns 0 after one connection and
  // report, 1 when no broker could be reached.
  int Run();

 private:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  bool Stopping() const { return stop_ != 0; }
  std::optional<AgentState> LoadOrCreateIdentity();
  // Registers until it succeeds (true), the server refuses (false) or a stop.
  bool Register();
  void InitialFetch();
  void StartAttempt();
  void OnAttemptFailed(const std::string& error, bool skip_endpoint);
  void OnConnected();
  void OnLost(const std::string& error);
  void Refresh(bool after_exhaustion);
  void ApplyConfig(DeviceConfig config);
  void MoveTo(std::size_t index, const std::string& reason);
  void TryFailback();
  void SendReport();
  int Shutdown(int exit_code);
  void SleepUntilNextEvent();
  bool SaveState(const std::string& what);
  std::string CaFileFor(const Endpoint& endpoint);
  void RemoveUnusedCaFiles();
  void ScheduleRefresh(TimePoint now);
  void LogWarnings(const std::vector<std::string>& warnings);
  LogFields EndpointFields(std::size_t index) const;

  const Options& options_;
  EventLog& log_;
  Waker& waker_;
  const volatile std::sig_atomic_t& stop_;
  bool abort_http_on_stop_ = true;
  UnitRandom random_;
  HttpClient http_;
  SwitchboardApi api_;
  StateFile state_file_;
  AgentState state_;
  DeviceConfig config_;
  MqttLink link_;

  // The connection walk.
  std::size_t endpoint_index_ = 0;  // the endpoint being tried, or connected to
  int attempts_on_endpoint_ = 0;
  int rounds_ = 0;  // whole walks of the list since the last connection
  bool connected_ = false;
  Endpoint connected_endpoint_;
  std::string connected_status_topic_;
  TimePoint next_attempt_{};
  TimePoint attempt_deadline_{};
  std::optional<TimePoint> failback_at_;
  std::string last_error_;

  // Refresh and reports.
  TimePoint next_refresh_{};
  int refresh_failures_ = 0;
  bool report_due_ = false;
  bool reports_supported_ = true;
  int report_failures_ = 0;
  TimePoint report_retry_at_{};
  bool once_reported_ = false;
};

}  // namespace switchboard::agent
