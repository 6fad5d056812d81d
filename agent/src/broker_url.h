// Broker URLs as Switchboard hands them out (`mqtt://host:port`,
// `mqtts://[::1]:8883`, `wss://host/mqtt`): the agent reads them when an
// answer has a `broker` but no `brokerConfig` (the env resolver), and builds
// them for reports when it has only a brokerConfig. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "device_config.h"

namespace switchboard::agent {

// An Endpoint with protocol, host, port and use_tls from `url`; every other
// field keeps its default. Scheme mqtt|mqtts|ws|wss (any case; tcp/ssl are
// not Switchboard's), host a name or a bracketed IPv6 address, port
// optional (1883, 8883, 80, 443 by scheme). nullopt with `error` set for
// anything else: user info, a query, a path on mqtt/mqtts, a bad port.
std::optional<Endpoint> ParseBrokerUrl(std::string_view url, std::string* error);

// "<protocol>://<host>:<port>", IPv6 hosts in brackets.
std::string BrokerUrlOf(const Endpoint& endpoint);

}  // namespace switchboard::agent
