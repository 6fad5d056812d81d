#include "process.h"

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>
#include <string_view>

namespace switchboard::testing {

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  std::array<char, 4096> buffer;
  std::size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string SwitchboardBinary() { return SWITCHBOARD_BINARY; }

std::string SanitizerReport(const std::string& log) {
  // What each runtime prints first: "==PID==ERROR: AddressSanitizer: …",
  // "==PID==ERROR: LeakSanitizer: …", "WARNING: ThreadSanitizer: …",
  // "file:line:col: runtime error: …" (UBSan).
  static constexpr std::array<std::string_view, 4> kMarkers = {
      "ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer",
      ": runtime error: "};
  std::size_t first = std::string::npos;
  for (std::string_view marker : kMarkers) first = std::min(first, log.find(marker));
  if (first == std::string::npos) return "";
  const std::size_t line = log.rfind('\n', first);
  const std::size_t start = line == std::string::npos ? 0 : line + 1;
  return log.substr(start, 4096);
}

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace switchboard::testing
