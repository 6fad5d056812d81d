// What the agent knows about where and how to connect: plain values built
// from the server's answers by server_answer.h and from the state file.
// Copyable, no behaviour beyond comparisons; safe to use from any thread
// (no shared state).
#pragma once

#include <string>
#include <vector>

namespace switchboard::agent {

// One broker the device may use: the `broker` URL of an answer and, when the
// server sent it, its `brokerConfig`. Defaults are the server's own defaults
// (docs/api.md, the broker object) for fields an answer leaves out.
struct Endpoint {
  std::string url;       // reported back in PUT …/state; built from the fields when absent
  std::string protocol;  // "mqtt" | "mqtts" | "ws" | "wss"
  std::string host;      // IPv6 addresses without brackets
  int port = 0;          // 1..65535
  bool use_tls = false;
  bool verify_certificate = true;  // chain and host name
  std::string ca_cert;             // PEM (a bundle is fine); empty: the OS trust store
  std::string client_id_prefix;    // the client id is prefix + uuid
  int keep_alive_s = 60;           // clamped to 5..65535 (libmosquitto's range)
  bool clean_session = true;
  int connect_timeout_ms = 30000;  // TCP + TLS + CONNACK
  int reconnect_period_ms = 0;     // brokerConfig.reconnectPeriod; 0 when absent

  bool operator==(const Endpoint&) const = default;

  // Same broker and same session settings: staying connected is right. CA
  // and verification changes are not part of it (they matter at the next
  // handshake, see Agent::ApplyConfig).
  bool SameConnection(const Endpoint& other) const {
    return protocol == other.protocol && host == other.host && port == other.port &&
           use_tls == other.use_tls && client_id_prefix == other.client_id_prefix &&
           keep_alive_s == other.keep_alive_s && clean_session == other.clean_session;
  }
  // libmosquitto speaks MQTT over TCP and TLS only.
  bool Supported() const { return protocol == "mqtt" || protocol == "mqtts"; }
};

// `reconnect` of an answer. Defaults (when the server sends none): the
// values below, except that initial_delay_ms takes the primary broker's
// reconnectPeriod when the server sent one.
struct ReconnectPolicy {
  int initial_delay_ms = 1000;
  int max_delay_ms = 120000;
  double jitter = 0.25;  // 0..1: each delay is drawn from [d·(1-jitter), d·(1+jitter)]
  int attempts_per_endpoint = 3;
  int failback_after_s = 300;

  bool operator==(const ReconnectPolicy&) const = default;
};

inline constexpr int kDefaultRefreshAfterSeconds = 300;

// The `mqtt` object of a registration (without its password) or the whole
// answer of GET /api/v1/device/{uuid}/mqtt.
struct DeviceConfig {
  std::string username;
  std::vector<Endpoint> endpoints;  // [0]: `broker`; then `failover` in order; never empty
  std::vector<std::string> publish;
  std::vector<std::string> subscribe;
  ReconnectPolicy reconnect;
  bool reconnect_from_server = false;  // `reconnect` was in the answer
  std::string config_version;          // empty when the server sends none
  int refresh_after_s = kDefaultRefreshAfterSeconds;
  bool refresh_from_server = false;
  // The answer's `mqtt` object as received (minus the password): what the
  // state file keeps, so a restart can connect while the server is down.
  std::string raw_json;

  // Whether `other` tells the device to do anything differently. Compares
  // configVersion when both have one, else every field the agent acts on.
  bool SameAs(const DeviceConfig& other) const;
};

}  // namespace switchboard::agent
