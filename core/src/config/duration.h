// Durations as the configuration file writes them: a whole number and a unit,
// as Prometheus, Envoy and Kubernetes write them.
//
//   500ms  10s  5m  1h      one part
//   1m30s  1h30m  2s500ms   several parts, from the largest unit to the
//                           smallest, each unit at most once
//
// Units: `ms`, `s`, `m`, `h`. Refused: a bare number (`10`: its unit would be
// a guess), fractions (`1.5s`: write `1500ms`), signs, spaces, other units
// (`10sec`, `1d`), and values beyond what a signed 64-bit count of
// milliseconds holds. Which range a key accepts is the caller's business
// (config.cc checks each key's).
//
// Pure functions: thread-safe, no state.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard {

// Reads `text` as a duration. On failure returns nullopt and sets `*why` to
// a phrase that follows the key's name, e.g. "must have a unit (ms, s, m, h),
// e.g. 10s; got the bare number '10'". REQUIRES: why != nullptr.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text, std::string* why);

// The shortest text ParseDuration reads back as `duration`: 90000ms is
// "1m30s", 1500ms is "1s500ms", zero is "0s". REQUIRES: duration >= 0.
std::string FormatDuration(std::chrono::milliseconds duration);

}  // namespace switchboard
