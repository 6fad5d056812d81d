// Reading Switchboard's answers: the only place the agent interprets bytes
// from the server. Every function takes the raw body, trusts neither the
// presence nor the type of any member, and never throws (a fuzz target can
// call them on arbitrary bytes). Thread-safe: no shared state.
//
// What is required, and what is only warned about:
// - required (else the answer is unreadable and the caller retries): a JSON
//   object; a usable primary broker (`broker` or `brokerConfig` with `host`
//   and `port`); `username`; in a registration `uuid` and `mqtt.password`.
// - optional, a wrong type or range is a warning and the default is used:
//   `failover` entries (a bad one is skipped), `reconnect` members,
//   `refreshAfterSeconds`, `configVersion`, `topics`, brokerConfig members
//   other than host/port. Unknown members are ignored (newer servers).
// Bodies above kMaxAnswerBytes or nested deeper than kMaxAnswerDepth are
// unreadable.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "device_config.h"

namespace switchboard::agent {

inline constexpr std::size_t kMaxAnswerBytes = 1 << 20;
inline constexpr int kMaxAnswerDepth = 32;

// A parse result: `value` set on success (`error` empty); `warnings` are
// one-line notes about optional members that were ignored. Messages never
// contain a member's value (it could be a secret).
template <typename T>
struct Parsed {
  std::optional<T> value;
  std::string error;
  std::vector<std::string> warnings;
};

struct Registration {
  std::string uuid;
  std::string password;  // the MQTT password; only in this answer
  DeviceConfig config;   // config.raw_json is the `mqtt` object without `password`
};

// 200 of POST /api/v1/device/register.
Parsed<Registration> ParseRegistrationAnswer(std::string_view body);

// 200 of GET /api/v1/device/{uuid}/mqtt, or the `config` kept in the state
// file (the same object).
Parsed<DeviceConfig> ParseConfigAnswer(std::string_view body);

// The `error.message` of an error answer (`{"error": {"message": …}}`),
// control characters replaced and cut to 300 bytes, for one log line; empty
// when the body has none.
std::string ParseErrorMessage(std::string_view body);

}  // namespace switchboard::agent
