// Logging: the process's stderr log and the prefixed views handed to plugins.
//
// Lines look like `2025-01-31T12:00:00.123Z WARN plugin/device: message`.
// Thread-safe: each line is written whole, under one lock. Control characters
// in messages (a newline in a plugin's reason) are escaped, so one call is
// always one line. Never pass a secret to a logger.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "switchboard/logger.h"

namespace switchboard {

enum class LogLevel { kInfo, kWarn, kError };

// Writes to stderr. Messages below `min_level` are dropped.
class StderrLogger : public Logger {
 public:
  explicit StderrLogger(LogLevel min_level = LogLevel::kInfo) : min_level_(min_level) {}
  void Info(std::string_view message) override { Write(LogLevel::kInfo, message); }
  void Warn(std::string_view message) override { Write(LogLevel::kWarn, message); }
  void Error(std::string_view message) override { Write(LogLevel::kError, message); }

 private:
  void Write(LogLevel level, std::string_view message);

  const LogLevel min_level_;
  std::mutex mutex_;
};

// The process-wide stderr logger (never destroyed, so it outlives every
// thread that may still log at exit).
Logger& ProcessLogger();

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
