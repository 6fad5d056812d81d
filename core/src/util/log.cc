#include "util/log.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace switchboard {
namespace {

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "?";
}

const char* JsonLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "?";
}

// Length of the valid UTF-8 sequence starting at text[i], 0 when invalid.
std::size_t Utf8Length(std::string_view text, std::size_t i) {
  const auto u = static_cast<unsigned char>(text[i]);
  std::size_t n = 0;
  unsigned min = 0;
  if (u >= 0xc2 && u <= 0xdf) {
    n = 2, min = 0x80;
  } else if (u >= 0xe0 && u <= 0xef) {
    n = 3, min = 0x800;
  } else if (u >= 0xf0 && u <= 0xf4) {
    n = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  unsigned code = u & (0x3f >> (n - 1));
  for (std::size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(text[i + k]);
    if ((c & 0xc0) != 0x80) return 0;
    code = (code << 6) | (c & 0x3f);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return n;
}

// A JSON string body (without quotes): RFC 8259 escapes. A byte that is not
// part of valid UTF-8 (a plugin's reason may hold anything) becomes U+FFFD,
// so every line stays valid JSON for the collector.
void AppendJsonString(std::string& out, std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      const std::size_t n = Utf8Length(text, i);
      if (n == 0) {
        out += "\\ufffd";
      } else {
        out.append(text.substr(i, n));
        i += n - 1;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\u%04x", u);
          out += hex;
        } else {
          out += c;
        }
    }
  }
}

// A text-format value: bare when it is a plain token, else quoted with '"'
// and '\\' escaped, so `key=value` pairs stay splittable.
void AppendTextValue(std::string& out, std::string_view value) {
  const bool plain = !value.empty() && value.find_first_of(" \"=\\") == std::string_view::npos;
  if (plain) {
    out += EscapeForLog(value);
    return;
  }
  out += '"';
  for (const char c : EscapeForLog(value)) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

thread_local std::string current_request_id;

// UTC, millisecond precision: 2025-01-31T12:00:00.123Z
std::string Timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[80];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return buffer;
}

}  // namespace

std::string EscapeForLog(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (const char c : message) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatLogLine(LogFormat format, std::string_view ts, LogLevel level,
                          std::string_view message, std::span<const LogField> fields,
                          std::string_view request_id) {
  std::string line;
  if (format == LogFormat::kJson) {
    line += "{\"ts\":\"";
    AppendJsonString(line, ts);
    line += "\",\"level\":\"";
    line += JsonLevelName(level);
    line += "\",\"msg\":\"";
    AppendJsonString(line, message);
    line += '"';
    if (!request_id.empty()) {
      line += ",\"request_id\":\"";
      AppendJsonString(line, request_id);
      line += '"';
    }
    for (const LogField& field : fields) {
      line += ",\"";
      AppendJsonString(line, field.key);
      line += "\":";
      if (field.number) {
        line += field.value;
      } else {
        line += '"';
        AppendJsonString(line, field.value);
        line += '"';
      }
    }
    line += '}';
    return line;
  }
  line.append(ts);
  line += ' ';
  line += LevelName(level);
  line += ' ';
  line += EscapeForLog(message);
  for (const LogField& field : fields) {
    line += ' ';
    line += EscapeForLog(field.key);
    line += '=';
    AppendTextValue(line, field.value);
  }
  if (!request_id.empty()) {
    line += " request_id=";
    AppendTextValue(line, request_id);
  }
  return line;
}

ScopedRequestId::ScopedRequestId(std::string request_id)
    : id_(std::move(request_id)), previous_(std::move(current_request_id)) {
  current_request_id = id_;
}

ScopedRequestId::~ScopedRequestId() { current_request_id = std::move(previous_); }

std::string_view ScopedRequestId::Current() { return current_request_id; }

StderrLogger::~StderrLogger() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  pending_arrived_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  Flush();
}

std::string StderrLogger::Line(LogLevel level, std::string_view message,
                               std::span<const LogField> fields) const {
  std::string line =
      FormatLogLine(format_.load(), Timestamp(), level, message, fields, current_request_id);
  line += '\n';
  return line;
}

void StderrLogger::Write(LogLevel level, std::string_view message,
                         std::span<const LogField> fields) {
  if (level < min_level_) return;
  const std::string line = Line(level, message, fields);
  std::lock_guard lock(mutex_);
  pending_ += line;
  WritePendingLocked();
}

void StderrLogger::WriteBuffered(LogLevel level, std::string_view message,
                                 std::span<const LogField> fields) {
  if (level != LogLevel::kInfo) {
    Write(level, message, fields);
    return;
  }
  if (level < min_level_) return;
  const std::string line = Line(level, message, fields);
  std::lock_guard lock(mutex_);
  const bool was_empty = pending_.empty();
  pending_ += line;
  if (pending_.size() >= kFlushBytes) {
    WritePendingLocked();
    return;
  }
  if (!flusher_.joinable()) flusher_ = std::thread([this] { FlushPeriodically(); });
  if (was_empty) pending_arrived_.notify_one();
}

void StderrLogger::Flush() {
  std::lock_guard lock(mutex_);
  WritePendingLocked();
}

void StderrLogger::WritePendingLocked() {
  if (pending_.empty()) return;
  std::fwrite(pending_.data(), 1, pending_.size(), out_);
  std::fflush(out_);
  pending_.clear();
}

void StderrLogger::FlushPeriodically() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    pending_arrived_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    // Let a burst collect, then write it in one call.
    pending_arrived_.wait_for(lock, kFlushInterval, [this] { return stopping_; });
    WritePendingLocked();
  }
}

StderrLogger& ProcessLogger() {
  static auto* logger = [] {
    auto* made = new StderrLogger();
    std::atexit([] { ProcessLogger().Flush(); });
    return made;
  }();
  return *logger;
}

}  // namespace switchboard
