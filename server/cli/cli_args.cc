#include "cli/cli_args.h"

#include <algorithm>
#include <sstream>

namespace switchboard::cli {

CliArgs::CliArgs(const std::vector<std::string>& args, std::vector<OptionSpec> specs)
    : specs_(std::move(specs)) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word.rfind("--", 0) != 0) {
      positional_.push_back(word);
      continue;
    }
    std::string name = word.substr(2);
    std::string value;
    bool inline_value = false;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    auto spec = std::find_if(specs_.begin(), specs_.end(),
                             [&](const OptionSpec& s) { return s.name == name; });
    if (spec == specs_.end()) throw UsageError("unknown option --" + name);
    if (!spec->takes_value) {
      if (inline_value) throw UsageError("--" + name + " takes no value");
      flags_.insert(name);
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) throw UsageError("--" + name + " needs a value");
      value = args[++i];
    }
    values_[name] = value;
  }
}

bool CliArgs::Has(const std::string& name) const {
  return flags_.count(name) > 0 || values_.count(name) > 0;
}

std::string CliArgs::Value(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

std::string CliArgs::OptionsHelp() const {
  std::ostringstream out;
  out << "Options:\n";
  for (const OptionSpec& spec : specs_) {
    std::string left = "--" + spec.name + (spec.takes_value ? " VALUE" : "");
    out << "  " << left << std::string(left.size() < 26 ? 26 - left.size() : 1, ' ') << spec.help
        << '\n';
  }
  return out.str();
}

std::vector<OptionSpec> CommonOptions() {
  return {
      {"config", true, "configuration file (default configs/switchboard.yaml)"},
      {"help", false, "show this help"},
  };
}

}  // namespace switchboard::cli
