// Helpers for the resolver engine's tests: chains from YAML snippets, a
// storage-free context, and the capturing logger (capturing_logger.h).
//
// Requires SWITCHBOARD_TEST_PLUGIN_DIR (tests/plugins/fixtures) and
// SWITCHBOARD_PLUGIN_DIR (the built-in plugins) as compile definitions.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "capturing_logger.h"
#include "config/config.h"
#include "engine/chain.h"
#include "storage/storage.h"
#include "switchboard/resolver.h"

namespace switchboard::testing {

// A whole config file whose chain is `chain_yaml`: list items indented by
// four spaces, e.g. "    - plugin: env\n". Plugins are looked up in the
// fixture dir, then the built-in dir.
inline std::string ConfigYamlWithChain(const std::string& chain_yaml) {
  return std::string("resolution:\n  plugin_dirs: [\"") + SWITCHBOARD_TEST_PLUGIN_DIR + "\", \"" +
         SWITCHBOARD_PLUGIN_DIR + "\"]\n  chain:\n" + chain_yaml;
}

inline std::shared_ptr<const Chain> ChainFromYaml(const std::string& chain_yaml) {
  return BuildChain(ParseConfig(ConfigYamlWithChain(chain_yaml), "test.yaml"));
}

// The ConfigError message BuildChain gives for `chain_yaml` ("" if none).
inline std::string ChainError(const std::string& chain_yaml) {
  try {
    ChainFromYaml(chain_yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// A context with a fixed device and no storage (sql() throws
// StorageUnavailable, as a host whose database is down would).
class FakeContext : public ResolveContext {
 public:
  explicit FakeContext(std::string uuid = "device-1") { device_.uuid = std::move(uuid); }
  const Device& device() override { return device_; }
  soci::session& sql() override { throw StorageUnavailable("no storage in this test"); }
  Logger& log() override { return log_; }

  Device device_;
  CapturingLogger log_;
};

// "device:pass,env:resolved": the trace in one comparable string.
inline std::string Outcomes(const Resolution& resolution) {
  std::string out;
  for (const auto& step : resolution.trace) {
    out += (out.empty() ? "" : ",") + step.plugin + ":" + OutcomeName(step.outcome);
  }
  return out;
}

}  // namespace switchboard::testing
