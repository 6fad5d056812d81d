#include "util/time.h"

#include <cstdio>
#include <ctime>

namespace switchboard {

std::string UtcIso8601(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto millis_since_epoch = duration_cast<milliseconds>(when.time_since_epoch()).count();
  auto seconds = static_cast<std::time_t>(millis_since_epoch / 1000);
  auto millis = static_cast<int>(millis_since_epoch % 1000);
  if (millis < 0) {  // before 1970: keep the fraction positive
    millis += 1000;
    seconds -= 1;
  }
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[96];  // generous: the compiler cannot bound tm's fields
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return buffer;
}

std::string UtcNowIso8601() { return UtcIso8601(std::chrono::system_clock::now()); }

}  // namespace switchboard
