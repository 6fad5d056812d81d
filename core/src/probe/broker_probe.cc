#include "probe/broker_probe.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>

#include "probe/probe_transport.h"

namespace switchboard {
namespace {

using probe::Clock;
using probe::Connection;
using probe::ProbeFailure;

constexpr std::size_t kMaxMqttString = 65535;

std::string RandomHex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    std::random_device device;  // uniqueness only, not secrecy
    for (char& c : raw) c = static_cast<char>(device());
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : raw) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

void AppendUint16(std::string& out, std::size_t value) {
  out += static_cast<char>((value >> 8) & 0xff);
  out += static_cast<char>(value & 0xff);
}

// An MQTT length-prefixed string; `what` names the field in the error (the
// value itself is never quoted: it may be a secret).
void AppendMqttString(std::string& out, const std::string& value, const char* what) {
  if (value.size() > kMaxMqttString) {
    throw ProbeFailure(ProbeStage::kMqtt, std::string(what) + " is longer than 65535 bytes");
  }
  AppendUint16(out, value.size());
  out += value;
}

// MQTT 3.1.1 CONNECT (§3.1): clean session, the broker's credentials.
std::string ConnectPacket(const BrokerConfig& broker, const std::string& client_id) {
  const bool with_user = !broker.username.empty() || !broker.password.empty();
  const bool with_password = !broker.password.empty();
  std::string body;
  AppendMqttString(body, "MQTT", "protocol name");
  body += static_cast<char>(4);  // protocol level 3.1.1
  unsigned char flags = 0x02;    // clean session: a probe must leave no session behind
  if (with_user) flags |= 0x80;
  if (with_password) flags |= 0x40;
  body += static_cast<char>(flags);
  AppendUint16(body, static_cast<std::size_t>(std::clamp(broker.keep_alive, 0, 65535)));
  AppendMqttString(body, client_id, "client id");
  // 3.1.1 forbids a password without a user name: send an empty user name.
  if (with_user) AppendMqttString(body, broker.username, "username");
  if (with_password) AppendMqttString(body, broker.password, "password");

  std::string packet(1, static_cast<char>(0x10));
  std::size_t length = body.size();
  do {  // remaining length, base-128 varint (§2.2.3)
    unsigned char digit = length % 128;
    length /= 128;
    if (length > 0) digit |= 0x80;
    packet += static_cast<char>(digit);
  } while (length > 0);
  return packet + body;
}

void ValidateTarget(const BrokerConfig& broker) {
  if (broker.protocol == "ws" || broker.protocol == "wss") {
    throw ProbeFailure(ProbeStage::kProtocol, "websocket probe not supported (" + broker.protocol +
                                                  "://); only mqtt and mqtts");
  }
  if (broker.protocol != "mqtt" && broker.protocol != "mqtts") {
    throw ProbeFailure(ProbeStage::kProtocol, "unknown protocol '" + broker.protocol + "'");
  }
  if (broker.host.empty()) throw ProbeFailure(ProbeStage::kProtocol, "the broker has no host");
  if (broker.port < 1 || broker.port > 65535) {
    throw ProbeFailure(ProbeStage::kProtocol,
                       "port " + std::to_string(broker.port) + " is outside 1..65535");
  }
}

std::string IoFailure(Connection::IoStatus status, const std::string& error, int timeout_ms,
                      const char* waiting_for) {
  switch (status) {
    case Connection::IoStatus::kClosed:
      return std::string("the server closed the connection before ") + waiting_for;
    case Connection::IoStatus::kTimeout:
      return std::string("no ") + waiting_for + " within " + std::to_string(timeout_ms) +
             " ms (is this an MQTT broker?)";
    default:
      return std::string("connection failed while waiting for ") + waiting_for + ": " + error;
  }
}

// CONNECT → CONNACK; returns the CONNACK return code.
int MqttHandshake(Connection& connection, const BrokerConfig& broker, Clock::time_point deadline,
                  int timeout_ms) {
  const std::string client_id = broker.client_id_prefix + "probe-" + RandomHex(8);
  std::string error;
  auto status = connection.WriteAll(ConnectPacket(broker, client_id), deadline, &error);
  if (status != Connection::IoStatus::kOk) {
    throw ProbeFailure(ProbeStage::kMqtt, IoFailure(status, error, timeout_ms, "CONNACK"));
  }
  char header[2];
  status = connection.ReadExact(header, 1, deadline, &error);
  if (status == Connection::IoStatus::kOk && static_cast<unsigned char>(header[0]) != 0x20) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(header[0]));
    throw ProbeFailure(ProbeStage::kMqtt, std::string("the server is not an MQTT 3.1.1 broker "
                                                      "(it answered CONNECT with byte ") +
                                              hex + ", not CONNACK)");
  }
  if (status == Connection::IoStatus::kOk)
    status = connection.ReadExact(header + 1, 1, deadline, &error);
  if (status == Connection::IoStatus::kOk && header[1] != 2) {
    throw ProbeFailure(ProbeStage::kMqtt,
                       "malformed CONNACK (remaining length " +
                           std::to_string(static_cast<unsigned char>(header[1])) + ")");
  }
  char body[2];
  if (status == Connection::IoStatus::kOk) status = connection.ReadExact(body, 2, deadline, &error);
  if (status != Connection::IoStatus::kOk) {
    throw ProbeFailure(ProbeStage::kMqtt, IoFailure(status, error, timeout_ms, "CONNACK"));
  }
  return static_cast<unsigned char>(body[1]);
}

}  // namespace

const char* ProbeStageName(ProbeStage stage) {
  switch (stage) {
    case ProbeStage::kProtocol:
      return "protocol";
    case ProbeStage::kDns:
      return "dns";
    case ProbeStage::kTcp:
      return "tcp";
    case ProbeStage::kTls:
      return "tls";
    case ProbeStage::kMqtt:
      return "mqtt";
  }
  return "unknown";
}

const char* ConnackCodeName(int code) {
  switch (code) {
    case 0:
      return "accepted";
    case 1:
      return "unacceptable protocol version";
    case 2:
      return "identifier rejected";
    case 3:
      return "server unavailable";
    case 4:
      return "bad user name or password";
    case 5:
      return "not authorized";
    default:
      return "unknown return code";
  }
}

ProbeResult ProbeBroker(const BrokerConfig& broker, std::chrono::milliseconds timeout) {
  if (timeout.count() < 1) timeout = std::chrono::milliseconds(1);
  const int timeout_ms = static_cast<int>(std::min<long long>(timeout.count(), 1'000'000'000));
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + timeout;
  probe::ScopedSigpipeBlock no_sigpipe;
  ProbeResult result;
  Connection connection;
  auto elapsed_ms = [&] {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  };
  try {
    ValidateTarget(broker);
    const bool tls = broker.use_tls || broker.protocol == "mqtts";
    if (tls) {
      connection.PrepareTls({broker.verify_certificate, broker.ca_cert, broker.client_cert,
                             broker.client_key, broker.host});
    }
    result.stage = ProbeStage::kDns;
    const auto addresses = probe::Resolve(broker.host, broker.port, deadline);
    result.stage = ProbeStage::kTcp;
    connection.Connect(addresses, deadline);
    result.address = connection.address();
    if (tls) {
      result.stage = ProbeStage::kTls;
      connection.Handshake(deadline);
    }
    result.stage = ProbeStage::kMqtt;
    const int code = MqttHandshake(connection, broker, deadline, timeout_ms);
    result.latency_ms = elapsed_ms();
    result.connack_code = code;
    if (code != 0) {
      result.error = std::string("mqtt: broker refused the connection: ") + ConnackCodeName(code) +
                     " (CONNACK " + std::to_string(code) + ")";
      return result;
    }
    result.reachable = true;
    // Politely end the session; the result no longer depends on it.
    std::string ignored;
    connection.WriteAll(std::string("\xe0\x00", 2),
                        std::min(deadline, Clock::now() + std::chrono::milliseconds(100)),
                        &ignored);
    return result;
  } catch (const ProbeFailure& failure) {
    result.stage = failure.stage();
    result.error = failure.what();
    result.latency_ms = elapsed_ms();
    return result;
  }
}

}  // namespace switchboard
