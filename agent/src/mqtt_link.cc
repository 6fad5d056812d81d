#include "mqtt_link.h"

#include <mosquitto.h>

#include <cstring>

namespace switchboard::agent {
namespace {

using Clock = std::chrono::steady_clock;

// libmosquitto retries a lost connection itself after this delay; the agent
// tears the link down long before, so in effect it never does.
constexpr unsigned kNoAutoReconnectSeconds = 24 * 3600;

std::string Words(int rc) {
  return rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno)) : mosquitto_strerror(rc);
}

}  // namespace

MqttLink::MqttLink(Waker& waker) : waker_(waker) {}

MqttLink::~MqttLink() { Abandon(); }

bool MqttLink::Open(const MqttSettings& settings, std::string* error) {
  Abandon();
  {
    std::lock_guard lock(mutex_);
    status_ = Status{};
    status_.state = State::kConnecting;
    last_log_error_.clear();
    acked_.clear();
    waiting_mid_ = -1;
  }
  const Endpoint& endpoint = settings.endpoint;
  auto fail = [&](const std::string& why) {
    *error = why;
    Abandon();
    std::lock_guard lock(mutex_);
    status_.state = State::kDown;
    status_.error = why;
    return false;
  };
  if (!endpoint.Supported()) return fail("protocol " + endpoint.protocol + " is not supported");
  mosq_ = mosquitto_new(settings.client_id.c_str(), endpoint.clean_session, this);
  if (mosq_ == nullptr) return fail("mosquitto_new failed");
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(mosq_, OnConnect);
  mosquitto_disconnect_callback_set(mosq_, OnDisconnect);
  mosquitto_publish_callback_set(mosq_, OnPublish);
  mosquitto_log_callback_set(mosq_, OnLog);
  mosquitto_reconnect_delay_set(mosq_, kNoAutoReconnectSeconds, kNoAutoReconnectSeconds, false);
  int rc = mosquitto_username_pw_set(mosq_, settings.username.c_str(), settings.password.c_str());
  if (rc != MOSQ_ERR_SUCCESS) return fail("cannot set the MQTT credentials: " + Words(rc));
  status_topic_ = settings.status_topic;
  if (!status_topic_.empty()) {
    rc = mosquitto_will_set(mosq_, status_topic_.c_str(),
                            static_cast<int>(std::strlen(kOfflinePayload)), kOfflinePayload, 1,
                            true);
    if (rc != MOSQ_ERR_SUCCESS) return fail("cannot set the last will: " + Words(rc));
  }
  if (endpoint.use_tls) {
    if (settings.ca_file.empty()) {
      mosquitto_int_option(mosq_, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
    } else {
      rc = mosquitto_tls_set(mosq_, settings.ca_file.c_str(), nullptr, nullptr, nullptr, nullptr);
      if (rc != MOSQ_ERR_SUCCESS) return fail("cannot use the broker's CA: " + Words(rc));
    }
    // cert_reqs 1 = SSL_VERIFY_PEER; 0 = SSL_VERIFY_NONE.
    rc = mosquitto_tls_opts_set(mosq_, endpoint.verify_certificate ? 1 : 0, nullptr, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) return fail("cannot set TLS options: " + Words(rc));
    mosquitto_tls_insecure_set(mosq_, !endpoint.verify_certificate);
  }
  rc = mosquitto_connect_async(mosq_, endpoint.host.c_str(), endpoint.port, endpoint.keep_alive_s);
  if (rc != MOSQ_ERR_SUCCESS) {
    std::string why = Words(rc);
    {
      std::lock_guard lock(mutex_);
      if (!last_log_error_.empty()) why += " (" + last_log_error_ + ")";
    }
    return fail("cannot connect to " + endpoint.host + ":" + std::to_string(endpoint.port) + ": " +
                why);
  }
  rc = mosquitto_loop_start(mosq_);
  if (rc != MOSQ_ERR_SUCCESS) return fail("cannot start the MQTT network thread: " + Words(rc));
  thread_started_ = true;
  return true;
}

MqttLink::Status MqttLink::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

bool MqttLink::PublishStatus(const char* payload, std::chrono::milliseconds wait) {
  if (mosq_ == nullptr || status_topic_.empty()) return false;
  int mid = 0;
  const int rc = mosquitto_publish(mosq_, &mid, status_topic_.c_str(),
                                   static_cast<int>(std::strlen(payload)), payload, 1, true);
  if (rc != MOSQ_ERR_SUCCESS) return false;
  if (wait.count() <= 0) return true;
  {
    std::lock_guard lock(mutex_);
    waiting_mid_ = mid;
  }
  return WaitFor(wait, &MqttLink::AckedWaiting);
}

bool MqttLink::AckedWaiting() const { return acked_.count(waiting_mid_) > 0; }

bool MqttLink::Disconnected() const { return status_.state != State::kConnected; }

bool MqttLink::WaitFor(std::chrono::milliseconds bound, bool (MqttLink::*done)() const) {
  const auto deadline = Clock::now() + bound;
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if ((this->*done)()) return true;
      if (done != &MqttLink::Disconnected && status_.state != State::kConnected) return false;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    waker_.Wait(left);
  }
}

void MqttLink::Close(std::chrono::milliseconds bound) {
  if (mosq_ == nullptr) return;
  if (status().state == State::kConnected) {
    if (!status_topic_.empty()) PublishStatus(kOfflinePayload, bound);
    if (mosquitto_disconnect(mosq_) == MOSQ_ERR_SUCCESS) {
      WaitFor(bound, &MqttLink::Disconnected);
    }
  }
  Abandon();
}

void MqttLink::Abandon() {
  if (mosq_ == nullptr) {
    std::lock_guard lock(mutex_);
    status_.state = State::kIdle;
    return;
  }
  // Marks the session as ending, so the network thread's loop exits instead
  // of reconnecting (loop_stop wakes it from a reconnect delay). Only a
  // thread still waiting on a TCP connect must be cancelled (force): a
  // thread cancelled elsewhere can be cut mid-packet and leak what
  // libmosquitto allocated for it (LeakSanitizer saw 42 bytes).
  const bool connecting = status().state == State::kConnecting;
  mosquitto_disconnect(mosq_);
  if (thread_started_) mosquitto_loop_stop(mosq_, connecting);
  thread_started_ = false;
  mosquitto_destroy(mosq_);
  mosq_ = nullptr;
  std::lock_guard lock(mutex_);
  status_.state = State::kIdle;
}

void MqttLink::OnConnect(mosquitto*, void* self, int rc) {
  auto* link = static_cast<MqttLink*>(self);
  {
    std::lock_guard lock(link->mutex_);
    if (rc == 0) {
      link->status_.state = State::kConnected;
      link->status_.was_connected = true;
    } else {
      link->status_.state = State::kDown;
      link->status_.connack = rc;
      link->status_.error = std::string("the broker refused the connection: ") +
                            mosquitto_connack_string(rc) + " (CONNACK " + std::to_string(rc) + ")";
    }
  }
  link->waker_.Notify();
}

void MqttLink::OnDisconnect(mosquitto*, void* self, int rc) {
  auto* link = static_cast<MqttLink*>(self);
  {
    std::lock_guard lock(link->mutex_);
    if (link->status_.state != State::kDown) {
      const bool was_up = link->status_.state == State::kConnected;
      link->status_.state = State::kDown;
      if (rc == 0) {
        link->status_.error = "disconnected";
      } else {
        std::string why = rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc);
        if (!link->last_log_error_.empty()) why += " (" + link->last_log_error_ + ")";
        link->status_.error = (was_up ? "connection lost: " : "cannot connect: ") + why;
      }
    }
  }
  link->waker_.Notify();
}

void MqttLink::OnPublish(mosquitto*, void* self, int mid) {
  auto* link = static_cast<MqttLink*>(self);
  {
    std::lock_guard lock(link->mutex_);
    link->acked_.insert(mid);
  }
  link->waker_.Notify();
}

void MqttLink::OnLog(mosquitto*, void* self, int level, const char* line) {
  if ((level & MOSQ_LOG_ERR) == 0 || line == nullptr) return;
  auto* link = static_cast<MqttLink*>(self);
  {
    std::lock_guard lock(link->mutex_);
    link->last_log_error_ = line;
    // libmosquitto 2.0.11's network thread ends a failed TLS handshake of an
    // asynchronous connect without calling on_disconnect; this log line is
    // then the only sign, and waiting for connectTimeout would waste the
    // attempt's time.
    if (link->status_.state != State::kConnecting || std::strncmp(line, "OpenSSL Error", 13) != 0) {
      return;
    }
    link->status_.state = State::kDown;
    link->status_.error = std::string("cannot connect: TLS handshake failed (") + line + ")";
  }
  link->waker_.Notify();
}

}  // namespace switchboard::agent
