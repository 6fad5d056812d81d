#include "agent.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "identity.h"
#include "server_answer.h"
#include "status_topic.h"
#include "tcp_probe.h"

namespace switchboard::agent {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kHttpTimeout(15000);
constexpr milliseconds kCloseBound(3000);
constexpr milliseconds kMaxSleep(60000);
constexpr double kRefreshJitter = 0.1;

std::string HostName() {
  char name[256] = {0};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "device";
  return name;
}

// FNV-1a: a stable file name for a CA bundle's content (not a security
// measure; the file's content is what TLS uses).
std::string ContentName(const std::string& text) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (const unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  std::ostringstream out;
  out << std::hex << hash;
  return out.str();
}

std::string Trim(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::string Millis(milliseconds value) { return std::to_string(value.count()); }

}  // namespace

Agent::Agent(const Options& options, EventLog& log, Waker& waker,
             const volatile std::sig_atomic_t& stop)
    : options_(options),
      log_(log),
      waker_(waker),
      stop_(stop),
      http_(options.api_ca, kHttpTimeout, [this] { return abort_http_on_stop_ && Stopping(); }),
      api_(options.server, http_),
      state_file_(options.state_dir),
      link_(waker) {}

int Agent::Run() {
  std::optional<DirectoryLock> lock;
  try {
    lock.emplace(options_.state_dir);
  } catch (const StateFileError& error) {
    log_.Error("state_error", error.what());
    return 1;
  }
  std::optional<AgentState> loaded;
  try {
    loaded = LoadOrCreateIdentity();
  } catch (const StateFileError& error) {
    log_.Error("state_error", error.what());
    return 1;
  }
  if (!loaded) return 1;
  state_ = std::move(*loaded);
  log_.AddSecret(state_.device_key);
  log_.AddSecret(state_.mqtt_password);

  if (!state_.registered) {
    if (!Register()) return Stopping() ? 0 : 1;
  } else {
    const Parsed<DeviceConfig> stored = ParseConfigAnswer(state_.config_json);
    if (stored.value) config_ = *stored.value;
    InitialFetch();
    if (config_.endpoints.empty()) {
      // Registered but never given a usable config (a state from a crash
      // between the two writes cannot happen: both are one file). Fetch
      // until one comes.
      log_.Error("state_error", "state file " + state_file_.path() + " holds no broker config");
      return 1;
    }
  }
  if (Stopping()) return 0;

  next_attempt_ = Clock::now();
  ScheduleRefresh(Clock::now());
  while (true) {
    if (Stopping()) return Shutdown(0);
    const TimePoint now = Clock::now();
    const MqttLink::Status status = link_.status();
    switch (status.state) {
      case MqttLink::State::kIdle:
        if (now >= next_attempt_) StartAttempt();
        break;
      case MqttLink::State::kConnecting:
        if (now >= attempt_deadline_) {
          OnAttemptFailed(
              "no CONNACK within connectTimeout (" +
                  std::to_string(config_.endpoints[endpoint_index_].connect_timeout_ms) + " ms)",
              false);
        }
        break;
      case MqttLink::State::kConnected:
        if (!connected_) OnConnected();
        break;
      case MqttLink::State::kDown:
        if (connected_) {
          OnLost(status.error);
        } else {
          OnAttemptFailed(status.error, false);
        }
        break;
    }
    if (options_.once) {
      if (connected_ && !report_due_) return Shutdown(0);
      if (connected_ && once_reported_) return Shutdown(0);
      if (rounds_ >= 1 && !connected_) {
        log_.Error("connect_failed", "no broker could be reached: " + last_error_);
        return Shutdown(1);
      }
    }
    if (connected_ && failback_at_ && Clock::now() >= *failback_at_) TryFailback();
    if (Clock::now() >= next_refresh_) Refresh(false);
    if (report_due_ && Clock::now() >= report_retry_at_) SendReport();
    SleepUntilNextEvent();
  }
}

std::optional<AgentState> Agent::LoadOrCreateIdentity() {
  std::optional<AgentState> state = state_file_.Load();
  if (state) {
    if (!state->server.empty() && state->server != options_.server) {
      log_.Warn("state_loaded",
                "the state was registered with another --server; keeping its identity",
                {{"stored", state->server}, {"now", options_.server}});
    }
    log_.Info("state_loaded", "identity loaded",
              {{"uuid", state->uuid},
               {"registered", state->registered ? "true" : "false"},
               {"file", state_file_.path()}});
    return state;
  }
  AgentState fresh;
  fresh.uuid = NewUuidV4();
  fresh.device_key = NewDeviceKey();
  fresh.device_name = options_.name.empty() ? HostName() : options_.name;
  fresh.device_type = options_.type;
  fresh.region = options_.region;
  fresh.server = options_.server;
  state_file_.Save(fresh);  // before the identity is sent anywhere
  log_.Info("identity_created", "new device identity stored",
            {{"uuid", fresh.uuid}, {"file", state_file_.path()}});
  return fresh;
}

bool Agent::Register() {
  std::string key;
  {
    std::ifstream in(options_.provisioning_key_file);
    if (!in) {
      log_.Error("register_failed",
                 "cannot read the provisioning key file " + options_.provisioning_key_file);
      return false;
    }
    std::stringstream text;
    text << in.rdbuf();
    key = Trim(text.str());
  }
  if (key.empty()) {
    log_.Error("register_failed",
               "the provisioning key file " + options_.provisioning_key_file + " is empty");
    return false;
  }
  log_.AddSecret(key);
  ReconnectPolicy policy;  // the defaults: the server has said nothing yet
  for (int failures = 0; !Stopping(); ++failures) {
    log_.Info("registering", "registering with the server",
              {{"uuid", state_.uuid}, {"server", options_.server}});
    RegisterOutcome outcome = api_.Register(state_, key, kAgentVersion);
    LogWarnings(outcome.warnings);
    if (outcome.kind == RegisterOutcome::Kind::kRefused) {
      log_.Error("register_refused", "the server refused the registration: " + outcome.message,
                 {{"uuid", state_.uuid}, {"status", std::to_string(outcome.status)}});
      return false;
    }
    if (outcome.kind == RegisterOutcome::Kind::kRegistered) {
      Registration& registration = *outcome.registration;
      AgentState next = state_;
      next.registered = true;
      next.mqtt_username = registration.config.username;
      next.mqtt_password = registration.password;
      next.config_json = registration.config.raw_json;
      next.server = options_.server;
      log_.AddSecret(next.mqtt_password);
      try {
        state_file_.Save(next);  // the new password is stored before it is used
      } catch (const StateFileError& error) {
        log_.Error("state_error", std::string(error.what()) + "; registering again later");
        waker_.Wait(BackoffDelay(policy, failures, random_()));
        continue;
      }
      state_ = std::move(next);
      config_ = std::move(registration.config);
      log_.Info("registered", "registered; credentials stored",
                {{"uuid", state_.uuid},
                 {"username", state_.mqtt_username},
                 {"broker", config_.endpoints.front().url},
                 {"endpoints", std::to_string(config_.endpoints.size())}});
      return true;
    }
    const milliseconds delay = BackoffDelay(policy, failures, random_());
    log_.Warn("register_failed", "registration failed, retrying: " + outcome.message,
              {{"retry_in_ms", Millis(delay)}});
    waker_.Wait(delay);
  }
  return false;
}

void Agent::InitialFetch() {
  const FetchOutcome outcome = api_.Fetch(state_.uuid, state_.device_key, config_.config_version);
  LogWarnings(outcome.warnings);
  if (outcome.verdict == FetchVerdict::kChanged && outcome.config) {
    if (config_.endpoints.empty() || !outcome.config->SameAs(config_)) {
      ApplyConfig(*outcome.config);
    }
  } else if (outcome.verdict == FetchVerdict::kRetry) {
    log_.Warn("refresh_failed",
              "cannot fetch the config, using the stored one: " + outcome.message);
  }
}

LogFields Agent::EndpointFields(std::size_t index) const {
  return {{"broker", config_.endpoints[index].url},
          {"endpoint", std::to_string(index + 1) + "/" + std::to_string(config_.endpoints.size())}};
}

std::string Agent::CaFileFor(const Endpoint& endpoint) {
  if (!endpoint.use_tls || endpoint.ca_cert.empty()) return "";
  const std::string path = state_file_.dir() + "/ca-" + ContentName(endpoint.ca_cert) + ".pem";
  std::error_code error;
  if (!std::filesystem::exists(path, error)) WritePrivateFileAtomically(path, endpoint.ca_cert);
  return path;
}

void Agent::RemoveUnusedCaFiles() {
  std::set<std::string> used;
  for (const Endpoint& endpoint : config_.endpoints) {
    if (!endpoint.ca_cert.empty()) used.insert("ca-" + ContentName(endpoint.ca_cert) + ".pem");
  }
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(state_file_.dir(), error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("ca-", 0) == 0 && name.size() > 7 &&
        name.compare(name.size() - 4, 4, ".pem") == 0 && used.count(name) == 0) {
      std::filesystem::remove(entry.path(), error);
    }
  }
}

void Agent::StartAttempt() {
  const Endpoint& endpoint = config_.endpoints[endpoint_index_];
  if (!endpoint.Supported()) {
    log_.Warn("endpoint_skipped", "libmosquitto cannot speak " + endpoint.protocol,
              EndpointFields(endpoint_index_));
    OnAttemptFailed("protocol " + endpoint.protocol + " is not supported", true);
    return;
  }
  MqttSettings settings;
  settings.endpoint = endpoint;
  settings.client_id = endpoint.client_id_prefix + state_.uuid;
  settings.username = state_.mqtt_username;
  settings.password = state_.mqtt_password;
  settings.status_topic = StatusTopicFor(config_.publish);
  try {
    settings.ca_file = CaFileFor(endpoint);
  } catch (const StateFileError& error) {
    OnAttemptFailed(error.what(), false);
    return;
  }
  LogFields fields = EndpointFields(endpoint_index_);
  fields.emplace_back("attempt", std::to_string(attempts_on_endpoint_ + 1));
  fields.emplace_back("client_id", settings.client_id);
  log_.Info("connecting", "connecting to the broker", fields);
  attempt_deadline_ = Clock::now() + milliseconds(endpoint.connect_timeout_ms);
  connected_status_topic_ = settings.status_topic;
  std::string error;
  if (!link_.Open(settings, &error)) OnAttemptFailed(error, false);
}

void Agent::OnAttemptFailed(const std::string& error, bool skip_endpoint) {
  link_.Abandon();
  last_error_ = error;
  const ReconnectPolicy& policy = config_.reconnect;
  ++attempts_on_endpoint_;
  LogFields fields = EndpointFields(endpoint_index_);
  fields.emplace_back("attempt", std::to_string(attempts_on_endpoint_));
  fields.emplace_back("error", error);
  if (!skip_endpoint) log_.Warn("connect_failed", "connection attempt failed", fields);
  if (skip_endpoint || attempts_on_endpoint_ >= policy.attempts_per_endpoint) {
    attempts_on_endpoint_ = 0;
    const std::size_t from = endpoint_index_;
    ++endpoint_index_;
    if (endpoint_index_ >= config_.endpoints.size()) {
      endpoint_index_ = 0;
      ++rounds_;
      log_.Warn("endpoints_exhausted", "every endpoint failed; fetching the config again",
                {{"rounds", std::to_string(rounds_)}, {"error", error}});
      report_due_ = true;
      Refresh(/*after_exhaustion=*/true);
      if (Stopping()) return;
    } else {
      log_.Warn("failover", "moving to the next endpoint",
                {{"from", config_.endpoints[from].url},
                 {"to", config_.endpoints[endpoint_index_].url},
                 {"endpoint", std::to_string(endpoint_index_ + 1) + "/" +
                                  std::to_string(config_.endpoints.size())}});
    }
  }
  const milliseconds delay =
      BackoffDelay(config_.reconnect, attempts_on_endpoint_ + rounds_, random_());
  next_attempt_ = Clock::now() + delay;
}

void Agent::OnConnected() {
  connected_ = true;
  connected_endpoint_ = config_.endpoints[endpoint_index_];
  attempts_on_endpoint_ = 0;
  rounds_ = 0;
  last_error_.clear();
  LogFields fields = EndpointFields(endpoint_index_);
  fields.emplace_back("status_topic", connected_status_topic_);
  log_.Info("connected", "connected to the broker", fields);
  if (!connected_status_topic_.empty() && !link_.PublishStatus(kOnlinePayload, milliseconds(0))) {
    log_.Warn("status_failed", "cannot queue the online status");
  }
  failback_at_.reset();
  if (endpoint_index_ > 0) {
    failback_at_ = Clock::now() + seconds(config_.reconnect.failback_after_s);
  }
  report_due_ = true;
  report_failures_ = 0;
  report_retry_at_ = Clock::now();
}

void Agent::OnLost(const std::string& error) {
  link_.Abandon();
  connected_ = false;
  failback_at_.reset();
  last_error_ = error;
  attempts_on_endpoint_ = 0;
  const milliseconds delay = BackoffDelay(config_.reconnect, 0, random_());
  LogFields fields = EndpointFields(endpoint_index_);
  fields.emplace_back("error", error);
  fields.emplace_back("retry_in_ms", Millis(delay));
  log_.Warn("disconnected", "connection lost", fields);
  next_attempt_ = Clock::now() + delay;
  report_due_ = true;
  report_retry_at_ = Clock::now();
}

void Agent::ScheduleRefresh(TimePoint now) {
  next_refresh_ = now + Jittered(seconds(config_.refresh_after_s), kRefreshJitter, random_());
}

void Agent::Refresh(bool after_exhaustion) {
  const FetchOutcome outcome = api_.Fetch(state_.uuid, state_.device_key, config_.config_version);
  LogWarnings(outcome.warnings);
  const TimePoint now = Clock::now();
  if (outcome.verdict == FetchVerdict::kRetry) {
    ++refresh_failures_;
    const milliseconds delay =
        std::min<milliseconds>(BackoffDelay(config_.reconnect, refresh_failures_ - 1, random_()),
                               seconds(config_.refresh_after_s));
    log_.Warn("refresh_failed",
              "cannot fetch the config; keeping the current one: " + outcome.message,
              {{"retry_in_ms", Millis(delay)}});
    if (!after_exhaustion) next_refresh_ = now + delay;
    return;
  }
  refresh_failures_ = 0;
  ScheduleRefresh(now);
  if (outcome.verdict == FetchVerdict::kNotModified) {
    log_.Info("refreshed", "config unchanged", {{"config_version", config_.config_version}});
    return;
  }
  if (outcome.config->SameAs(config_)) {
    log_.Info("refreshed", "config unchanged", {{"config_version", config_.config_version}});
    return;
  }
  ApplyConfig(*outcome.config);
}

void Agent::ApplyConfig(DeviceConfig config) {
  AgentState next = state_;
  next.config_json = config.raw_json;
  state_.config_json.swap(next.config_json);
  if (!SaveState("the new config")) {
    state_.config_json.swap(next.config_json);
    return;  // not used before it is stored; the next refresh tries again
  }
  const DeviceConfig old = std::move(config_);
  config_ = std::move(config);
  log_.Info("config_changed", "new config stored",
            {{"config_version", config_.config_version},
             {"previous_version", old.config_version},
             {"broker", config_.endpoints.front().url},
             {"endpoints", std::to_string(config_.endpoints.size())}});
  RemoveUnusedCaFiles();
  reports_supported_ = true;  // the server may have been upgraded
  report_due_ = true;
  report_retry_at_ = Clock::now();

  if (old.endpoints.empty()) return;  // the first config of this run
  if (!connected_) {
    // Walking: start again with the new list, at once.
    link_.Abandon();
    endpoint_index_ = 0;
    attempts_on_endpoint_ = 0;
    next_attempt_ = Clock::now();
    return;
  }
  const Endpoint& primary = config_.endpoints.front();
  const bool primary_changed = !primary.SameConnection(old.endpoints.front());
  const bool topic_changed = StatusTopicFor(config_.publish) != connected_status_topic_;
  if (topic_changed) return MoveTo(0, "the status topic changed");
  if (primary.SameConnection(connected_endpoint_)) {
    endpoint_index_ = 0;
    connected_endpoint_ = primary;
    failback_at_.reset();
    return;
  }
  if (!primary_changed) {
    for (std::size_t i = 1; i < config_.endpoints.size(); ++i) {
      if (config_.endpoints[i].SameConnection(connected_endpoint_)) {
        endpoint_index_ = i;  // still on a backup of the same primary
        return;
      }
    }
  }
  MoveTo(0,
         primary_changed ? "the primary broker changed" : "the current broker is no longer listed");
}

void Agent::MoveTo(std::size_t index, const std::string& reason) {
  log_.Info("moving", "leaving the current broker: " + reason,
            {{"from", connected_endpoint_.url}, {"to", config_.endpoints[index].url}});
  link_.Close(kCloseBound);
  connected_ = false;
  failback_at_.reset();
  endpoint_index_ = index;
  attempts_on_endpoint_ = 0;
  rounds_ = 0;
  next_attempt_ = Clock::now();
}

void Agent::TryFailback() {
  const Endpoint& primary = config_.endpoints.front();
  const milliseconds bound(std::min(primary.connect_timeout_ms, 5000));
  if (primary.Supported() && TcpReachable(primary.host, primary.port, bound)) {
    log_.Info("failback", "the primary broker accepts connections again",
              {{"from", connected_endpoint_.url}, {"to", primary.url}});
    MoveTo(0, "failing back to the primary broker");
    return;
  }
  log_.Info("failback_deferred", "the primary broker is still unreachable",
            {{"broker", primary.url}});
  failback_at_ = Clock::now() + seconds(config_.reconnect.failback_after_s);
}

void Agent::SendReport() {
  if (!reports_supported_) {
    report_due_ = false;
    return;
  }
  StateReport report;
  report.config_version = config_.config_version;
  report.connected = connected_;
  report.broker = connected_ ? connected_endpoint_.url : config_.endpoints[endpoint_index_].url;
  report.last_error = connected_ ? "" : last_error_;
  report.agent_version = kAgentVersion;
  std::string message;
  const ReportOutcome outcome = api_.Report(state_.uuid, state_.device_key, report, &message);
  once_reported_ = true;
  switch (outcome) {
    case ReportOutcome::kStored:
      report_due_ = false;
      report_failures_ = 0;
      log_.Info("reported", "state reported",
                {{"connected", connected_ ? "true" : "false"},
                 {"broker", report.broker},
                 {"config_version", report.config_version}});
      return;
    case ReportOutcome::kUnsupported:
      report_due_ = false;
      reports_supported_ = false;
      log_.Info("report_unsupported", "the server has no state report route (" + message +
                                          "); not reporting until the config changes");
      return;
    case ReportOutcome::kRefused:
      report_due_ = false;
      log_.Warn("report_failed", "the server refused the state report: " + message);
      return;
    case ReportOutcome::kRetry: {
      const milliseconds delay =
          std::min<milliseconds>(BackoffDelay(config_.reconnect, report_failures_++, random_()),
                                 seconds(config_.refresh_after_s));
      report_retry_at_ = Clock::now() + delay;
      log_.Warn("report_failed", "cannot report the state: " + message,
                {{"retry_in_ms", Millis(delay)}});
      return;
    }
  }
}

int Agent::Shutdown(int exit_code) {
  log_.Info("stopping", options_.once && exit_code == 0 ? "done (--once)" : "stopping");
  abort_http_on_stop_ = false;  // the last report goes out even after SIGTERM
  if (connected_) {
    link_.Close(kCloseBound);
    connected_ = false;
    log_.Info("disconnected", "disconnected cleanly; offline published",
              {{"broker", connected_endpoint_.url}});
  } else {
    link_.Abandon();
  }
  if (reports_supported_ && state_.registered && !config_.endpoints.empty()) {
    report_due_ = true;
    report_failures_ = 0;
    SendReport();
  }
  return exit_code;
}

void Agent::SleepUntilNextEvent() {
  const TimePoint now = Clock::now();
  TimePoint wake = now + kMaxSleep;
  const MqttLink::State state = link_.status().state;
  if (state == MqttLink::State::kIdle) wake = std::min(wake, next_attempt_);
  if (state == MqttLink::State::kConnecting) wake = std::min(wake, attempt_deadline_);
  if (state == MqttLink::State::kDown) wake = now;
  if (connected_ && failback_at_) wake = std::min(wake, *failback_at_);
  if (report_due_) wake = std::min(wake, report_retry_at_);
  wake = std::min(wake, next_refresh_);
  if (wake > now)
    waker_.Wait(std::chrono::duration_cast<milliseconds>(wake - now) + milliseconds(1));
}

bool Agent::SaveState(const std::string& what) {
  try {
    state_file_.Save(state_);
    return true;
  } catch (const StateFileError& error) {
    log_.Error("state_error", "cannot store " + what + ": " + error.what());
    return false;
  }
}

void Agent::LogWarnings(const std::vector<std::string>& warnings) {
  for (const std::string& warning : warnings) {
    log_.Warn("answer_warning", "the server's answer: " + warning);
  }
}

}  // namespace switchboard::agent
