// CliArgs: the options of one `switchboard <command>` invocation.
//
// Every command takes `--config FILE` (default configs/switchboard.yaml) and
// `--help`. Options are `--name value` or `--name=value`; flags are `--name`.
// Anything not declared is a usage error, so a typo never runs silently.
#pragma once

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace switchboard::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string name;  // without the leading "--"
  bool takes_value;  // false for a flag
  std::string help;  // one line for --help
};

class CliArgs {
 public:
  // `args` are the words after the command name. Throws UsageError.
  CliArgs(const std::vector<std::string>& args, std::vector<OptionSpec> specs);

  bool Has(const std::string& name) const;
  std::string Value(const std::string& name, const std::string& fallback = "") const;
  const std::vector<std::string>& positional() const { return positional_; }

  // "Options:\n  --config FILE  …" for the command's --help text.
  std::string OptionsHelp() const;

 private:
  std::vector<OptionSpec> specs_;
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positional_;
};

// The options every command accepts (--config, --help).
std::vector<OptionSpec> CommonOptions();

inline constexpr char kDefaultConfigPath[] = "configs/switchboard.yaml";

}  // namespace switchboard::cli
