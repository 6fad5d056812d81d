// A Logger that keeps every line, for tests that check what the server logs.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/logger.h"

namespace switchboard::http {

class CapturingLogger : public Logger {
 public:
  void Info(std::string_view message) override { Add("INFO " + std::string(message)); }
  void Warn(std::string_view message) override { Add("WARN " + std::string(message)); }
  void Error(std::string_view message) override { Add("ERROR " + std::string(message)); }

  bool Contains(std::string_view text) const {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const std::string& line : lines_) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }

 private:
  void Add(std::string line) {
    std::lock_guard<std::mutex> lock(mutex_);
    lines_.push_back(std::move(line));
  }

  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace switchboard::http
