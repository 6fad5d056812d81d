// The client-facing `brokerConfig` object (docs/api.md): what a device may know
// about its broker.
//
// Secrets cannot leak by construction: ToClientBrokerConfig() copies a
// whitelist of fields into ClientBrokerConfig, a type that has no field for
// `username`, `password`, `client_key`, `extra_config` or any row id, and the
// writers below only ever see that type. When adding a device-visible field,
// add it to the struct, to ToClientBrokerConfig() and to the writer (three
// copies by design: the whitelist is the point), to the expected-keys list
// in tests/core/domain/client_broker_config_test.cc and to the field table
// of tests/integration/broker_fields_test.cc (its `client_key`), which
// checks the whitelist against a broker written through the API.
//
// Whether to send `brokerConfig` at all is the caller's decision (docs/api.md:
// present when BrokerConfig::from_storage, absent for a bare env URL).
//
// JSON shape (camelCase, in this order):
//   protocol          string  "mqtt" | "mqtts" | "ws" | "wss"
//   host              string  as stored; IPv6 without brackets
//   port              int
//   path              string  only for ws/wss and only when non-empty
//   useTls            bool
//   verifyCertificate bool
//   clientIdPrefix    string  always present; "" when unset (agents need not
//                             test for presence)
//   keepAlive         int     seconds
//   cleanSession      bool
//   reconnectPeriod   int     ms
//   connectTimeout    int     ms
//   caCert            string  PEM, only when non-empty
//   clientCert        string  PEM, only when non-empty
//
// All functions are pure and thread-safe.
#pragma once

#include <rapidjson/rapidjson.h>

#include <string>

#include "switchboard/broker.h"

namespace switchboard {

// The device-visible subset of a BrokerConfig. Plain value.
struct ClientBrokerConfig {
  std::string protocol;
  std::string host;
  int port = 0;
  std::string path;
  bool use_tls = false;
  bool verify_certificate = true;
  std::string client_id_prefix;
  int keep_alive = 60;
  bool clean_session = true;
  int reconnect_period = 1000;
  int connect_timeout = 30000;
  std::string ca_cert;
  std::string client_cert;
};

// The whitelist: copies only device-visible fields. The rvalue overload
// moves them instead (no copy of the PEMs); `broker` is left with those
// fields moved from, its secrets untouched.
ClientBrokerConfig ToClientBrokerConfig(const BrokerConfig& broker);
ClientBrokerConfig ToClientBrokerConfig(BrokerConfig&& broker);

// Writes the `brokerConfig` object (StartObject … EndObject) with any
// RapidJSON writer (Writer, PrettyWriter), so the HTTP layer can embed it in
// a larger document: `w.Key("brokerConfig"); WriteClientBrokerConfig(w, b);`.
template <typename JsonWriter>
void WriteClientBrokerConfig(JsonWriter& w, const ClientBrokerConfig& c) {
  auto string = [&w](const char* key, const std::string& value) {
    w.Key(key);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  w.StartObject();
  string("protocol", c.protocol);
  string("host", c.host);
  w.Key("port");
  w.Int(c.port);
  if ((c.protocol == "ws" || c.protocol == "wss") && !c.path.empty()) string("path", c.path);
  w.Key("useTls");
  w.Bool(c.use_tls);
  w.Key("verifyCertificate");
  w.Bool(c.verify_certificate);
  string("clientIdPrefix", c.client_id_prefix);
  w.Key("keepAlive");
  w.Int(c.keep_alive);
  w.Key("cleanSession");
  w.Bool(c.clean_session);
  w.Key("reconnectPeriod");
  w.Int(c.reconnect_period);
  w.Key("connectTimeout");
  w.Int(c.connect_timeout);
  if (!c.ca_cert.empty()) string("caCert", c.ca_cert);
  if (!c.client_cert.empty()) string("clientCert", c.client_cert);
  w.EndObject();
}

template <typename JsonWriter>
void WriteClientBrokerConfig(JsonWriter& w, const BrokerConfig& broker) {
  WriteClientBrokerConfig(w, ToClientBrokerConfig(broker));
}

}  // namespace switchboard
