#include "http/request_log.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <string>

namespace switchboard::http {

RequestLog RequestLogTo(StderrLogger& log) {
  return [&log](const RequestRecord& record) {
    char duration[32];
    std::snprintf(duration, sizeof duration, "%.3f",
                  std::chrono::duration<double, std::milli>(record.duration).count());
    const std::array<LogField, 5> fields = {{
        {"method", std::string(record.method)},
        {"route", std::string(record.route)},
        {"status", std::to_string(record.status), true},
        {"duration_ms", duration, true},
        {"remote", std::string(record.remote)},
    }};
    // The request's id, also on the lines its handler wrote: set here too,
    // since a deferred response completes on another thread.
    const ScopedRequestId scoped_id{std::string(record.request_id)};
    log.WriteBuffered(record.status >= 500 ? LogLevel::kWarn : LogLevel::kInfo, "request", fields);
  };
}

}  // namespace switchboard::http
