// Broker probe: one real connection attempt to an MQTT broker, as
// `POST /api/v1/mqtt/brokers/{id}/test` reports it (docs/api.md).
//
// The attempt goes through these stages, in order, and stops at the first
// that fails:
//   dns       resolve `host` (IPv4 and IPv6; IP literals skip the resolver)
//   tcp       connect to each resolved address in turn until one accepts
//   tls       only when TLS is on: handshake, then certificate verification
//             when `verify_certificate` is true — the chain against the PEM
//             in `ca_cert` (or the system trust store when it is empty) and
//             the host name (or IP address) against the certificate's
//             subjectAltName; SNI is sent for host names. `client_cert` and
//             `client_key`, when both are set, are presented (mutual TLS)
//   mqtt      MQTT 3.1.1 CONNECT (clean session, keepalive = `keep_alive`,
//             client id `<client_id_prefix>probe-<16 random hex digits>`,
//             the broker's server-side `username`/`password` when set), then
//             CONNACK; return code 0 means reachable, then DISCONNECT
// A fifth name, `protocol`, is used when the probe cannot even start: ws/wss
// brokers (no WebSocket probe, see below), an empty host, a port outside
// 1..65535, or an unknown protocol.
//
// TLS is on when `use_tls` is true or `protocol` is "mqtts".
//
// WebSocket (ws/wss) brokers are not probed: the result fails at stage
// `protocol` with "websocket probe not supported". (Debian's Mosquitto is
// built without WebSocket support, so such a probe could not be tested here.)
//
// Time: the whole attempt, DNS included, is bounded by `timeout`; ProbeBroker
// returns within about `timeout` (plus a few milliseconds) whatever the peer
// does. A slow DNS lookup keeps running on a detached thread after the probe
// has returned; it touches nothing of the caller's.
//
// Errors: network failures, refusals and protocol errors are results, never
// exceptions. Only std::bad_alloc can escape. Messages are one line, say
// which stage failed and why, and never contain the password, the username,
// the client key or any certificate content.
//
// Thread safety: ProbeBroker may be called from many threads at once; each
// call owns its socket and TLS context. It blocks the calling thread for up
// to `timeout`, so an HTTP worker should use a short timeout. SIGPIPE is
// blocked in the calling thread while the probe writes, so a peer closing
// the connection never kills the process.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "switchboard/broker.h"

namespace switchboard {

enum class ProbeStage { kProtocol, kDns, kTcp, kTls, kMqtt };

// "protocol", "dns", "tcp", "tls", "mqtt".
const char* ProbeStageName(ProbeStage stage);

struct ProbeResult {
  // True when the broker answered CONNACK with return code 0.
  bool reachable = false;
  // When reachable: kMqtt (every stage passed). Otherwise the stage that
  // failed.
  ProbeStage stage = ProbeStage::kProtocol;
  // Wall time from the start of the attempt until CONNACK (reachable) or
  // until the failure was known, in milliseconds with microsecond precision.
  double latency_ms = 0;
  // Empty when reachable; otherwise why the stage failed, e.g.
  // "tls: certificate verification failed: unable to get local issuer
  // certificate" or "mqtt: broker refused the connection: not authorized
  // (CONNACK 5)". Starts with the stage name.
  std::string error;
  // The CONNACK return code when one was received (MQTT 3.1.1: 0 accepted,
  // 1 unacceptable protocol version, 2 identifier rejected, 3 server
  // unavailable, 4 bad user name or password, 5 not authorized); nullopt
  // when no CONNACK arrived.
  std::optional<int> connack_code;
  // The address the TCP connection was made to, e.g. "127.0.0.1:8883" or
  // "[::1]:8883"; empty when no connection was made.
  std::string address;
};

// Human name of an MQTT 3.1.1 CONNACK return code ("accepted", "not
// authorized", …; "unknown return code" for others).
const char* ConnackCodeName(int code);

// Makes one connection attempt to `broker`. REQUIRES nothing: a non-positive
// timeout is treated as 1 ms.
ProbeResult ProbeBroker(const BrokerConfig& broker, std::chrono::milliseconds timeout);

}  // namespace switchboard
