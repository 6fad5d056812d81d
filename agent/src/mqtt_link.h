// One MQTT 3.1.1 connection to one broker endpoint, on libmosquitto's
// threaded interface: Open() starts a non-blocking connect and a network
// thread that keeps the session alive; callbacks on that thread record
// what happened and wake the agent's thread through the Waker. The agent
// decides everything else (timeouts, retries, which broker): libmosquitto's
// own reconnects are disabled.
//
// The session: client id `clientIdPrefix + uuid`, the device's username and
// password, keep-alive and clean session from brokerConfig, TLS when told
// (with the handed-out CA file, or the OS trust store when there is none;
// chain and host name verified unless verifyCertificate is false), and a
// retained last will `offline` (QoS 1) on the status topic when there is one.
//
// Thread safety: every method is for the agent's thread; status() may be
// read while the network thread runs. mosquitto_lib_init() must have run.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "device_config.h"
#include "waker.h"

struct mosquitto;

namespace switchboard::agent {

struct MqttSettings {
  Endpoint endpoint;
  std::string client_id;
  std::string username;
  std::string password;      // secret: never logged
  std::string ca_file;       // PEM file of endpoint.ca_cert; "" for the OS trust store
  std::string status_topic;  // "" for no status and no will
};

inline constexpr char kOnlinePayload[] = "online";
inline constexpr char kOfflinePayload[] = "offline";

class MqttLink {
 public:
  enum class State { kIdle, kConnecting, kConnected, kDown };
  struct Status {
    State state = State::kIdle;
    std::optional<int> connack;  // a CONNACK refusal code (5: not authorized)
    std::string error;           // why kDown: libmosquitto's and OpenSSL's words
    bool was_connected = false;  // kDown after kConnected: the connection was lost
  };

  explicit MqttLink(Waker& waker);
  ~MqttLink();  // Abandon()
  MqttLink(const MqttLink&) = delete;
  MqttLink& operator=(const MqttLink&) = delete;

  // Starts connecting (kConnecting). False with `error` when it cannot even
  // start (bad settings, no TLS file, DNS failure, refused at once).
  bool Open(const MqttSettings& settings, std::string* error);
  Status status() const;

  // Publishes the retained status `payload` (QoS 1). With `wait` > 0 waits
  // that long for the broker's PUBACK; true when it came (or, without a
  // wait, when the message was queued).
  bool PublishStatus(const char* payload, std::chrono::milliseconds wait);

  // The clean end of a session: `offline` published (when there is a status
  // topic) and acknowledged, then DISCONNECT, so the broker drops the will.
  // Each wait is bounded by `bound`. Then Abandon().
  void Close(std::chrono::milliseconds bound);

  // Drops the connection (no DISCONNECT is guaranteed) and stops the network
  // thread. Back to kIdle.
  void Abandon();

 private:
  static void OnConnect(mosquitto*, void* self, int rc);
  static void OnDisconnect(mosquitto*, void* self, int rc);
  static void OnPublish(mosquitto*, void* self, int mid);
  static void OnLog(mosquitto*, void* self, int level, const char* line);
  bool WaitFor(std::chrono::milliseconds bound, bool (MqttLink::*done)() const);
  bool Disconnected() const;

  Waker& waker_;
  mosquitto* mosq_ = nullptr;
  bool thread_started_ = false;
  std::string status_topic_;
  mutable std::mutex mutex_;  // guards everything below
  Status status_;
  std::string last_log_error_;
  std::set<int> acked_;
  int waiting_mid_ = -1;
  bool AckedWaiting() const;
};

}  // namespace switchboard::agent
