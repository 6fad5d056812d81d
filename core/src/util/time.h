// Timestamps as every timestamp column stores them:
// `2026-11-29T08:00:00.000Z` (UTC, milliseconds). These strings sort and
// compare correctly as text. Thread-safe, no state.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard {

std::string UtcIso8601(std::chrono::system_clock::time_point when);
std::string UtcNowIso8601();

// Reads what UtcIso8601 writes, and the same without milliseconds
// (`2026-11-29T08:00:00Z`). std::nullopt for anything else (another zone,
// a space for the `T`, a date that does not exist, trailing text): callers
// that guard access with a timestamp must then refuse, not guess.
// Milliseconds since the epoch, so years past 2262 (where a nanosecond
// system_clock::time_point overflows) still compare right.
std::optional<std::chrono::sys_time<std::chrono::milliseconds>> ParseUtcIso8601(
    std::string_view text);

}  // namespace switchboard
