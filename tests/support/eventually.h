// Waiting for what a running server or broker will do, and reading the
// timestamps it stores. Header-only; for tests.
#pragma once

#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace switchboard::testing {

// Polls `done` every 50 ms until it holds or `bound` has passed; the last
// answer of `done`. A bound is a give-up time for a hung test, not a claim
// about speed: tests that promise a time measure it themselves.
inline bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// Milliseconds since the epoch of a stored timestamp
// ("2026-12-05T06:00:00.123Z", util/time.h); 0 and a test failure for
// anything else.
inline long long MillisOf(const std::string& stamp) {
  std::tm tm{};
  int millis = 0;
  if (std::sscanf(stamp.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis) != 7) {
    ADD_FAILURE() << "not a timestamp: " << stamp;
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<long long>(timegm(&tm)) * 1000 + millis;
}

}  // namespace switchboard::testing
