// A Logger that keeps every line, "INFO …", "WARN …" or "ERROR …", for
// tests that check what was logged. Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "switchboard/logger.h"

namespace switchboard::testing {

class CapturingLogger : public Logger {
 public:
  void Info(std::string_view m) override { Add("INFO " + std::string(m)); }
  void Warn(std::string_view m) override { Add("WARN " + std::string(m)); }
  void Error(std::string_view m) override { Add("ERROR " + std::string(m)); }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  // True when some line contains `text`.
  bool Contains(std::string_view text) const {
    std::lock_guard lock(mutex_);
    for (const std::string& line : lines_) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }

 private:
  void Add(std::string line) {
    std::lock_guard lock(mutex_);
    lines_.push_back(std::move(line));
  }
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace switchboard::testing
