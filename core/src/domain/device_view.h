// The device's view of its configuration: the `mqtt` object of
// `GET /api/v1/device/{uuid}/mqtt` and of registration (docs/api.md), as
// JSON text, and its configVersion.
//
// configVersion is a digest of everything the device is told except its
// password: username, broker, brokerConfig, topics, failover (each
// endpoint's broker and brokerConfig), reconnect and refreshAfterSeconds.
// It is computed over the exact bytes of the view below, so it changes
// exactly when what the device receives changes: a reassignment, an edit of
// a field the device sees (of its broker or of any endpoint), a failover
// (the order changes), new topics or reconnect settings. A change the device
// cannot see (a broker's server-side password, its name, an unrelated
// broker) leaves it alone. The device's own MQTT password is never part of
// it: re-registration issues a new password and keeps the version.
//
// Format: the first 32 hex digits (128 bits) of the SHA-256 of the view.
// Opaque to devices; they compare it for equality only.
//
// Pure functions; thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "domain/client_broker_config.h"

namespace switchboard {

// One entry of `failover`: either its fields, or (`json` set, the fields
// left empty) its JSON text as FailoverEntryJson wrote it, shared with every
// view of the same broker (domain/failover_entries.h).
struct FailoverEndpoint {
  std::string broker;                               // BrokerUrl()
  std::optional<ClientBrokerConfig> broker_config;  // iff the broker came from storage
  // Not owned: DeviceView::shared_entries keeps it alive.
  const std::string* json = nullptr;
};

// Everything the view holds, as the response writes it (in this order).
struct DeviceView {
  std::string username;
  std::string broker;
  std::optional<ClientBrokerConfig> broker_config;
  std::vector<std::string> publish_topics;
  std::vector<std::string> subscribe_topics;
  std::vector<FailoverEndpoint> failover;
  ReconnectConfig reconnect;
  std::int64_t refresh_after_seconds = 300;
  // Owns what every FailoverEndpoint::json points at (a config snapshot);
  // copies of the view share it.
  std::shared_ptr<const void> shared_entries;
};

// One `failover` entry as DeviceViewJson writes it:
//   {"broker":…,"brokerConfig":{…}?}
// (`endpoint.json` ignored).
std::string FailoverEntryJson(const FailoverEndpoint& endpoint);

// The view as one compact JSON object, without password and configVersion:
//   {"username":…,"broker":…,"brokerConfig":{…}?,"topics":{…},
//    "failover":[{"broker":…,"brokerConfig":{…}?},…],
//    "reconnect":{"initialDelayMs":…,"maxDelayMs":…,"jitter":…,
//                 "attemptsPerEndpoint":…,"failbackAfterSeconds":…},
//    "refreshAfterSeconds":…}
std::string DeviceViewJson(const DeviceView& view);

// The configVersion of a view's JSON text (DeviceViewJson).
std::string ConfigVersionOf(const std::string& view_json);

// The response objects built from DeviceViewJson's text without writing it
// again: the view with `"configVersion":"…"` appended (the device's fetch),
// and the same with `"password":"…"` after `username` (registration).
// FetchJson takes the view by value: moved in, it is extended in place
// (DeviceViewJson leaves room for the member).
std::string FetchJson(std::string view_json, const std::string& config_version);
std::string RegistrationMqttJson(const std::string& view_json, const std::string& password,
                                 const std::string& config_version);

}  // namespace switchboard
