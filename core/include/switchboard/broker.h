// Broker configuration: one row of `mqtt_broker_config`, as resolvers see it.
//
// A BrokerConfig is a plain value: copy it freely, share it between threads
// read-only. It carries the server-side secrets (`username`, `password`,
// `client_key`, `extra_config`) because the server may need them to probe the
// broker; WriteClientBrokerConfig() (core/src/domain/client_broker_config.h)
// and BrokerUrl() are the only ways it reaches a device, and neither can
// include those fields.
//
// When adding a field (a column of mqtt_broker_config), the other layers
// that list the broker's fields are named in core/src/storage/broker_rows.cc
// (kColumns); tests/integration/broker_fields_test.cc fails until all agree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "switchboard/export.h"

namespace switchboard {

struct BrokerConfig {
  std::int64_t id = 0;  // 0 when the broker does not come from storage (env plugin)
  std::string name;
  std::string description;
  std::string protocol = "mqtt";  // mqtt | mqtts | ws | wss
  std::string host;
  int port = 1883;       // 1..65535
  std::string path;      // ws/wss only, e.g. "/mqtt"
  std::string username;  // server-side secret: never sent to devices
  std::string password;  // server-side secret: never sent to devices, never logged
  bool use_tls = false;
  std::string ca_cert;      // PEM, empty when unset
  std::string client_cert;  // PEM, empty when unset
  std::string client_key;   // PEM, secret: never sent to devices
  bool verify_certificate = true;
  std::string client_id_prefix;
  int keep_alive = 60;  // seconds, > 0
  bool clean_session = true;
  int reconnect_period = 1000;  // ms
  int connect_timeout = 30000;  // ms
  bool is_active = true;
  bool is_default = false;
  std::string broker_type = "local";  // local | cloud | edge | test
  std::string region;
  int weight = 100;
  std::string extra_config;  // JSON text, secret: never sent to devices
  // Ids of the brokers a device gets after this one when it is down, in
  // order (`backup_broker_ids`). Every id names another broker that existed
  // when the list was written; a deleted broker leaves every list. The host
  // flattens them into the device's endpoint list: resolvers need not.
  std::vector<std::int64_t> backup_broker_ids;

  // True when the broker came from storage (has a full config to hand out);
  // false when it was built from a bare URL (env plugin).
  bool from_storage = false;
};

// The URL a device connects to: `protocol://host:port[path]`, IPv6 hosts in
// brackets, the path only for ws/wss.
SWITCHBOARD_EXPORT std::string BrokerUrl(const BrokerConfig& broker);

// Parses an `mqtt://`, `mqtts://`, `ws://` or `wss://` URL (default ports
// 1883/8883/80/443, optional path for ws/wss, IPv6 literals in brackets,
// optional `user:password@`). Returns std::nullopt and fills `error` when the
// URL is malformed. The result has `from_storage == false`.
//
// Details (core/src/domain/broker_url.cc; tests in
// tests/core/domain/broker_url_test.cc):
// - The scheme is case-insensitive; `protocol` is stored lowercase. `use_tls`
//   is true for mqtts and wss. `id` is 0 and `name` is "env" (callers may
//   rename); the other fields keep their BrokerConfig defaults.
// - IPv6 hosts must be bracketed (`mqtt://[::1]:1883`) and are stored without
//   brackets; zone ids are refused. Host names: letters, digits, `-._`.
// - ws/wss paths are kept verbatim; no path stays empty (no "/mqtt" guess).
//   On mqtt/mqtts a lone trailing "/" is ignored and any other path is an
//   error (a path there is almost surely a ws URL with the wrong scheme).
// - `user:password@` is percent-decoded into `username`/`password`; BrokerUrl
//   never writes them back.
// - Rejected: empty, longer than 2048 characters, spaces, control or non-ASCII
//   characters, unknown scheme, missing host, port not 1..65535 or not
//   decimal, unbalanced brackets, a query (`?`) or fragment (`#`).
// Never throws; a null `error` is allowed. Error messages never quote the URL
// (it may hold a password).
SWITCHBOARD_EXPORT std::optional<BrokerConfig> ParseBrokerUrl(const std::string& url,
                                                              std::string* error);

// "'name' (id 3)": how messages and trace reasons name a broker ("'name'"
// alone when `id` is 0). Contains no secret.
SWITCHBOARD_EXPORT std::string DescribeBroker(const BrokerConfig& broker);

}  // namespace switchboard
