// Running the real `switchboard` binary (and other commands) from tests.
#pragma once

#include <string>

namespace switchboard::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr interleaved
};

// Runs `command` through /bin/sh, capturing stdout and stderr.
CommandResult RunCommand(const std::string& command);

// Path of the built switchboard binary.
std::string SwitchboardBinary();

// Single-quotes `text` for /bin/sh.
std::string ShellQuote(const std::string& text);

// The first sanitizer report in `log` (AddressSanitizer, LeakSanitizer,
// UndefinedBehaviorSanitizer or ThreadSanitizer, from the line that starts
// it, at most 4 KiB), or "" when there is none. A sanitized child process
// (SANITIZE=1 or SANITIZE=thread scripts/test) writes its findings to its
// own log, which a passing test never reads: the process helpers
// (SwitchboardProcess, AgentProcess) fail the test when their child's log
// holds one.
std::string SanitizerReport(const std::string& log);

// True in a build with AddressSanitizer or ThreadSanitizer (GCC says so with
// __SANITIZE_*__, clang with __has_feature), where every request costs
// several times its CPU: a test that loads the server only to check every
// answer can send fewer.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitizedBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitizedBuild = true;
#else
inline constexpr bool kSanitizedBuild = false;
#endif
#else
inline constexpr bool kSanitizedBuild = false;
#endif

}  // namespace switchboard::testing
