// Timestamps as every timestamp column stores them:
// `2026-11-29T08:00:00.000Z` (UTC, milliseconds). These strings sort and
// compare correctly as text. Thread-safe, no state.
#pragma once

#include <chrono>
#include <string>

namespace switchboard {

std::string UtcIso8601(std::chrono::system_clock::time_point when);
std::string UtcNowIso8601();

}  // namespace switchboard
