#include "options.h"

#include <map>

namespace switchboard::agent {
namespace {

bool ValidServerUrl(const std::string& url, std::string* why) {
  const bool http = url.rfind("http://", 0) == 0;
  const bool https = url.rfind("https://", 0) == 0;
  if (!http && !https) {
    *why = "--server must start with http:// or https://";
    return false;
  }
  const std::string rest = url.substr(http ? 7 : 8);
  const std::string authority = rest.substr(0, rest.find('/'));
  if (authority.empty()) {
    *why = "--server has no host";
    return false;
  }
  if (authority.find('@') != std::string::npos) {
    *why = "--server must not carry credentials (use --provisioning-key-file)";
    return false;
  }
  if (url.find_first_of("?# \t\r\n") != std::string::npos) {
    *why = "--server must not have a query, a fragment or spaces";
    return false;
  }
  return true;
}

}  // namespace

std::optional<Options> ParseOptions(const std::vector<std::string>& args, std::string* error) {
  Options options;
  const std::map<std::string, std::string*> valued = {
      {"--server", &options.server},
      {"--provisioning-key-file", &options.provisioning_key_file},
      {"--state-dir", &options.state_dir},
      {"--name", &options.name},
      {"--type", &options.type},
      {"--region", &options.region},
      {"--api-ca", &options.api_ca},
  };
  std::string log_format = "text";
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::optional<std::string> inline_value;
    if (const auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    auto value = [&]() -> std::optional<std::string> {
      if (inline_value) return inline_value;
      if (i + 1 >= args.size()) return std::nullopt;
      return args[++i];
    };
    if (const auto it = valued.find(arg); it != valued.end() || arg == "--log-format") {
      const std::optional<std::string> text = value();
      if (!text || text->empty()) {
        *error = arg + " needs a value";
        return std::nullopt;
      }
      *(arg == "--log-format" ? &log_format : it->second) = *text;
    } else if (inline_value) {
      *error = arg + " takes no value";
      return std::nullopt;
    } else if (arg == "--once") {
      options.once = true;
    } else if (arg == "--print-state") {
      options.print_state = true;
    } else if (arg == "--help" || arg == "-h") {
      options.help = true;
    } else if (arg == "--version") {
      options.version = true;
    } else {
      *error = "unknown option " + arg;
      return std::nullopt;
    }
  }
  if (options.help || options.version) return options;
  if (log_format == "text") {
    options.log_format = LogFormat::kText;
  } else if (log_format == "json") {
    options.log_format = LogFormat::kJson;
  } else {
    *error = "--log-format must be text or json";
    return std::nullopt;
  }
  if (options.state_dir.empty()) {
    *error = "--state-dir is required";
    return std::nullopt;
  }
  if (options.print_state) return options;
  if (options.server.empty()) {
    *error = "--server is required";
    return std::nullopt;
  }
  if (!ValidServerUrl(options.server, error)) return std::nullopt;
  if (options.provisioning_key_file.empty()) {
    *error = "--provisioning-key-file is required";
    return std::nullopt;
  }
  if (options.once && options.print_state) {
    *error = "--once and --print-state exclude each other";
    return std::nullopt;
  }
  return options;
}

std::string UsageText() {
  return "usage: switchboard-agent --server URL --provisioning-key-file FILE --state-dir DIR\n"
         "                         [--name NAME] [--type TYPE] [--region REGION] [--api-ca FILE]\n"
         "                         [--once] [--log-format text|json]\n"
         "       switchboard-agent --state-dir DIR --print-state\n"
         "\n"
         "  --server URL                 Switchboard's address, e.g. "
         "https://switchboard.example.com:4002\n"
         "  --provisioning-key-file FILE the fleet's provisioning key (read only to register)\n"
         "  --state-dir DIR              where the identity and credentials live (state.json, "
         "0600)\n"
         "  --name NAME                  deviceName at registration (default: the host name)\n"
         "  --type TYPE                  deviceType at registration (default: switchboard-agent)\n"
         "  --region REGION              region at registration (for the regional resolver)\n"
         "  --api-ca FILE                CA to verify an https --server (default: the OS trust "
         "store)\n"
         "  --once                       register, connect, publish online, report, disconnect, "
         "exit 0\n"
         "  --print-state                print the state (secrets hidden) and exit\n"
         "  --log-format text|json       one line per event on stderr (default: text)\n"
         "\n"
         "Exit status: 0 success (and after SIGTERM/SIGINT), 1 failure, 2 usage error.\n";
}

}  // namespace switchboard::agent
