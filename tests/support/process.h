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

}  // namespace switchboard::testing
