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

std::optional<std::chrono::sys_time<std::chrono::milliseconds>> ParseUtcIso8601(
    std::string_view text) {
  // "YYYY-MM-DDTHH:MM:SS" then ".mmmZ" or "Z".
  if (text.size() != 20 && text.size() != 24) return std::nullopt;
  auto digits = [&](std::size_t at, std::size_t count, int& out) {
    out = 0;
    for (std::size_t i = at; i < at + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  if (!digits(0, 4, year) || text[4] != '-' || !digits(5, 2, month) || text[7] != '-' ||
      !digits(8, 2, day) || text[10] != 'T' || !digits(11, 2, hour) || text[13] != ':' ||
      !digits(14, 2, minute) || text[16] != ':' || !digits(17, 2, second)) {
    return std::nullopt;
  }
  if (text.size() == 24 && (text[19] != '.' || !digits(20, 3, millis))) return std::nullopt;
  if (text.back() != 'Z') return std::nullopt;
  using namespace std::chrono;
  const year_month_day date{std::chrono::year(year),
                            std::chrono::month(static_cast<unsigned>(month)),
                            std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  return sys_days(date) + hours(hour) + minutes(minute) + seconds(second) + milliseconds(millis);
}

}  // namespace switchboard
