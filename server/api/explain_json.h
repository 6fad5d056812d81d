// The explain document of a resolution (GET /api/v1/devices/{uuid}/resolution
// and `switchboard resolve`), the X-Switchboard-Resolver header, and the
// chain description (GET /api/v1/admin/chain, `check-config`).
//
// Explain JSON:
//   {"broker": "mqtts://host:8883" | null,
//    "brokerConfig": {...},        present only when the broker came from
//                                  storage (client_broker_config.h: never a
//                                  secret)
//    "resolvedBy": "device" | null,
//    "decision": "resolved" | "rejected" | "failed" | "no_broker",
//    "reason": "...",              the deciding step's reason, or why none
//    "endpoints": [{"broker": "mqtt://…", "id": 3, "name": "a",
//                   "health": "healthy" | "unhealthy" | "unknown"}, …],
//                                  the device's endpoint list in the order
//                                  it is handed out (endpoint_list.h);
//                                  `broker` above is its first; id and name
//                                  only for stored brokers; present only
//                                  when a broker was resolved
//    "trace": [{"plugin": "device", "outcome": "pass", "reason": "...",
//               "micros": 12}, ...]}   (omitted when include_trace is false)
// `outcome` is OutcomeName(): resolved | pass | reject | error, and for the
// host's `health` step failover | panic.
//
// Pure functions; thread-safe. Strings that are not valid UTF-8 (a plugin's
// reason) are repaired with U+FFFD so the document is always valid JSON.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/chain.h"

namespace switchboard {

// "resolved" | "rejected" | "failed" | "no_broker"
const char* DecisionName(const Resolution& resolution);

std::string ExplainJson(const Resolution& resolution, bool include_trace = true);

// The X-Switchboard-Resolver header value: ASCII, one line, e.g.
// `resolved-by=default; trace=device:pass,fleet:pass,default:resolved`
// (`resolved-by=none` when nothing resolved).
std::string ResolverHeader(const Resolution& resolution);
// The same from its parts (a DeviceMqttAccess keeps only these):
// `resolved_by` empty when nothing resolved.
std::string ResolverHeader(std::string_view resolved_by, const std::vector<TraceStep>& trace);

// {"chain": [{"position": 1, "plugin": "device", "file": "/…/libdevice.so",
//             "on_error": "continue"}, ...]}
std::string ChainJson(const std::vector<StepDescription>& steps);

}  // namespace switchboard
