// The command line of switchboard-agent (agent/README.md, "Options").
// Pure parsing: no file is opened here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "event_log.h"

namespace switchboard::agent {

struct Options {
  std::string server;  // REQUIRED (except --print-state): http(s)://host[:port][/prefix]
  std::string provisioning_key_file;       // REQUIRED (except --print-state); read only to register
  std::string state_dir;                   // REQUIRED
  std::string name;                        // deviceName; default: the host name
  std::string type = "switchboard-agent";  // deviceType
  std::string region;                      // optional
  std::string api_ca;                      // CA file for an https --server; default: OS trust store
  bool once = false;                       // register, connect, report, disconnect, exit
  bool print_state = false;                // print the state file (secrets hidden) and exit
  LogFormat log_format = LogFormat::kText;
  bool help = false;
  bool version = false;
};

// Parses argv[1..]. nullopt with `error` on a usage error (unknown option,
// missing value or required option, bad URL or log format).
std::optional<Options> ParseOptions(const std::vector<std::string>& args, std::string* error);

std::string UsageText();

}  // namespace switchboard::agent
