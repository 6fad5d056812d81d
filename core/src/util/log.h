// Logging: the process's stderr log and the prefixed views handed to plugins.
//
// Two formats (server.log_format):
//   text: `2025-01-31T12:00:00.123Z WARN plugin/device: message key=value …`
//   json: `{"ts":"2025-01-31T12:00:00.123Z","level":"warn","msg":"plugin/device: message",
//           "key":"value",…}` — one object per line, for a log collector.
// Structured fields (LogField) follow the message: `key=value` in text (the
// value quoted when it holds a space, a quote or '='), members in JSON.
//
// Request ids: while a ScopedRequestId lives on a thread, every line that
// thread writes carries `request_id` — the HTTP layer sets one around each
// handler, so a plugin's lines (PrefixedLogger forwards on the same thread)
// and the core's are tied to the request without any SDK change.
//
// Thread-safe: each line is written whole, under one lock. Control characters
// in messages (a newline in a plugin's reason) are escaped, so one call is
// always one line. Never pass a secret to a logger.
//
// Buffered lines: the per-request line is the one line written for every
// request, and a write(2) per request costs the config fetch 10–15% of its
// CPU on this kind of VM (docs/benchmarks.md). WriteBuffered() collects such
// lines and writes them in one go: within kFlushInterval, when kFlushBytes
// are pending, before any immediate line (so the order of lines holds), and
// at exit for the process logger. A process killed with SIGKILL loses at
// most kFlushInterval of buffered lines; warnings and errors are never
// buffered.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "switchboard/logger.h"

namespace switchboard {

enum class LogLevel { kInfo, kWarn, kError };
enum class LogFormat { kText, kJson };

// One structured field of a log line. `number`: written unquoted in JSON
// (the value must then be a JSON number, e.g. "12.5").
struct LogField {
  std::string_view key;
  std::string value;
  bool number = false;
};

// Writes to `out` (stderr unless a test passes a file; the logger does not
// own it). Messages below `min_level` are dropped. Default format: text.
class StderrLogger : public Logger {
 public:
  static constexpr std::chrono::milliseconds kFlushInterval{100};
  static constexpr std::size_t kFlushBytes = 32 * 1024;

  explicit StderrLogger(LogLevel min_level = LogLevel::kInfo, std::FILE* out = stderr)
      : min_level_(min_level), out_(out) {}
  // Writes what is still buffered.
  ~StderrLogger() override;
  StderrLogger(const StderrLogger&) = delete;
  StderrLogger& operator=(const StderrLogger&) = delete;

  void Info(std::string_view message) override { Write(LogLevel::kInfo, message); }
  void Warn(std::string_view message) override { Write(LogLevel::kWarn, message); }
  void Error(std::string_view message) override { Write(LogLevel::kError, message); }

  // A line with structured fields, written now (after any buffered lines).
  void Write(LogLevel level, std::string_view message, std::span<const LogField> fields = {});

  // The same line, buffered (see the top of this file). For INFO lines that
  // come once per request; a WARN or ERROR line is written now.
  void WriteBuffered(LogLevel level, std::string_view message,
                     std::span<const LogField> fields = {});

  // Writes the buffered lines now.
  void Flush();

  // Any thread, any time: lines written after the call use `format`.
  void SetFormat(LogFormat format) { format_.store(format); }

 private:
  std::string Line(LogLevel level, std::string_view message,
                   std::span<const LogField> fields) const;
  void WritePendingLocked();
  void FlushPeriodically();

  const LogLevel min_level_;
  std::FILE* const out_;
  std::atomic<LogFormat> format_{LogFormat::kText};
  std::mutex mutex_;
  // Guarded by mutex_.
  std::string pending_;
  bool stopping_ = false;
  std::condition_variable pending_arrived_;
  // Started by the first buffered line; joined by the destructor.
  std::thread flusher_;
};

// One line, without the trailing newline: what StderrLogger writes. `ts` is
// the timestamp text; `request_id` empty means none. Exposed for tests.
std::string FormatLogLine(LogFormat format, std::string_view ts, LogLevel level,
                          std::string_view message, std::span<const LogField> fields,
                          std::string_view request_id);

// The process-wide stderr logger (never destroyed, so it outlives every
// thread that may still log at exit; its buffered lines are written at
// exit()).
StderrLogger& ProcessLogger();

// Tags every line the current thread writes with `request_id` while it
// lives (nesting restores the outer id). The id must be log-safe
// (http/request_id.h checks what clients send). Not copyable; destroy it on
// the thread that made it.
class ScopedRequestId {
 public:
  explicit ScopedRequestId(std::string request_id);
  ~ScopedRequestId();
  ScopedRequestId(const ScopedRequestId&) = delete;
  ScopedRequestId& operator=(const ScopedRequestId&) = delete;

  // The current thread's id; empty when none.
  static std::string_view Current();

 private:
  std::string id_;
  std::string previous_;
};

// Forwards to `base`, prefixing every message with `prefix` (e.g.
// "plugin/device: "). Thread-safe when `base` is. `base` must outlive it.
class PrefixedLogger : public Logger {
 public:
  PrefixedLogger(Logger& base, std::string prefix) : base_(base), prefix_(std::move(prefix)) {}
  void Info(std::string_view message) override { base_.Info(prefix_ + std::string(message)); }
  void Warn(std::string_view message) override { base_.Warn(prefix_ + std::string(message)); }
  void Error(std::string_view message) override { base_.Error(prefix_ + std::string(message)); }

 private:
  Logger& base_;
  const std::string prefix_;
};

// Drops everything (tests, and commands that print their own output).
class NullLogger : public Logger {
 public:
  void Info(std::string_view) override {}
  void Warn(std::string_view) override {}
  void Error(std::string_view) override {}
};

// `message` with control characters escaped (\n, \t, \xNN), for one-line logs.
std::string EscapeForLog(std::string_view message);

}  // namespace switchboard
