// One line per event on stderr: `text` (default) or `json` (one JSON object
// per line). Each line has a time (UTC, milliseconds), a level, an event
// name (`registered`, `connected`, `failover`, `config_changed`, …; the
// list is in agent/README.md) and a message, plus optional fields.
//
// Callers never pass a secret; as a second line of defence every string
// registered with AddSecret() is replaced by `***` wherever it appears in
// a line. Not thread-safe: the agent logs from its one thread.
#pragma once

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace switchboard::agent {

enum class LogFormat { kText, kJson };

using LogFields = std::vector<std::pair<std::string, std::string>>;

class EventLog {
 public:
  explicit EventLog(LogFormat format = LogFormat::kText, std::FILE* out = stderr)
      : format_(format), out_(out) {}

  void AddSecret(const std::string& secret);

  void Info(const std::string& event, const std::string& message, const LogFields& fields = {}) {
    Write("info", event, message, fields);
  }
  void Warn(const std::string& event, const std::string& message, const LogFields& fields = {}) {
    Write("warn", event, message, fields);
  }
  void Error(const std::string& event, const std::string& message, const LogFields& fields = {}) {
    Write("error", event, message, fields);
  }

  // The line Write() would print (without the newline), for tests.
  std::string Format(const std::string& level, const std::string& event, const std::string& message,
                     const LogFields& fields) const;

 private:
  void Write(const std::string& level, const std::string& event, const std::string& message,
             const LogFields& fields);
  std::string Redact(std::string text) const;

  LogFormat format_;
  std::FILE* out_;
  std::vector<std::string> secrets_;
};

}  // namespace switchboard::agent
