// plugin/env: a broker URL from an environment variable (default
// MQTT_BROKER_URL, seed priority 3), with an optional fallback URL. Needs no
// storage, so it still answers when the database is down. See README.md.
#include <switchboard/abi.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

using switchboard::BrokerConfig;
using switchboard::Decision;

bool ValidVariableName(const std::string& name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

class EnvResolver : public switchboard::Resolver {
 public:
  EnvResolver(std::string variable, std::optional<BrokerConfig> fallback)
      : variable_(std::move(variable)), fallback_(std::move(fallback)) {}

  std::string Name() const override { return "env"; }

  // The URL itself never appears in reasons or logs: it may carry a password.
  Decision Resolve(switchboard::ResolveContext& context) const override {
    const char* value = std::getenv(variable_.c_str());
    if (value != nullptr && *value != '\0') {
      std::string error;
      if (auto broker = switchboard::ParseBrokerUrl(value, &error)) {
        return Decision::Resolved(std::move(*broker), "from $" + variable_);
      }
      context.log().Warn("$" + variable_ + " is set but malformed: " + error);
      return Decision::Pass("$" + variable_ + " is malformed: " + error);
    }
    if (fallback_) return Decision::Resolved(*fallback_, "$" + variable_ + " unset: fallback URL");
    return Decision::Pass("$" + variable_ + " is unset or empty and no fallback is configured");
  }

 private:
  const std::string variable_;
  const std::optional<BrokerConfig> fallback_;
};

std::unique_ptr<switchboard::Resolver> Create(const switchboard::ParamValue& params,
                                              std::vector<switchboard::ParamProblem>& problems) {
  switchboard::ParamsReader reader(params);
  const std::string variable = reader.String("variable", "MQTT_BROKER_URL");
  if (!ValidVariableName(variable)) {
    reader.Problem("variable", "must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
  }
  std::optional<BrokerConfig> fallback;
  if (const std::string url = reader.String("fallback"); !url.empty()) {
    std::string error;
    fallback = switchboard::ParseBrokerUrl(url, &error);
    if (!fallback) reader.Problem("fallback", error);
  }
  problems = reader.Finish();
  if (!problems.empty()) return nullptr;
  return std::make_unique<EnvResolver>(variable, std::move(fallback));
}

}  // namespace

SWITCHBOARD_RESOLVER_PLUGIN(Create)
