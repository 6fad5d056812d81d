// Helpers for the resolver engine's tests: chains from YAML snippets, a
// storage-free context, and the capturing logger (capturing_logger.h).
//
// Requires SWITCHBOARD_TEST_PLUGIN_DIR (tests/plugins/fixtures) and
// SWITCHBOARD_PLUGIN_DIR (the built-in plugins) as compile definitions.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "capturing_logger.h"
#include "config/config.h"
#include "engine/chain.h"
#include "storage/config_snapshot.h"
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

// A context with a fixed device and no storage (sql() and every broker read
// throw StorageUnavailable, as a host whose database is down would).
class FakeContext : public ResolveContext {
 public:
  explicit FakeContext(std::string uuid = "device-1") { device_.uuid = std::move(uuid); }
  const Device& device() override { return device_; }
  BrokerDirectory& brokers() override { return brokers_; }
  soci::session& sql() override { throw StorageUnavailable("no storage in this test"); }
  Logger& log() override { return log_; }

  Device device_;
  CapturingLogger log_;

 private:
  StorageBrokerDirectory brokers_{*this};
};

// A BrokerDirectory over in-memory maps, no database behind it: what a
// plugin's unit test can hand its resolver (docs/plugins.md). Counts reads.
class MapBrokerDirectory : public BrokerDirectory {
 public:
  std::optional<BrokerConfig> ById(std::int64_t id) override {
    ++reads;
    const auto it = brokers.find(id);
    if (it == brokers.end()) return std::nullopt;
    return it->second;
  }
  std::optional<BrokerConfig> Default() override {
    ++reads;
    for (const auto& [id, broker] : brokers) {
      if (broker.is_default) return broker;
    }
    return std::nullopt;
  }
  std::vector<BrokerConfig> ActiveInRegion(const std::string& region) override {
    ++reads;
    std::vector<BrokerConfig> out;
    for (const auto& [id, broker] : brokers) {
      if (broker.is_active && broker.region == region) out.push_back(broker);
    }
    return out;
  }
  std::optional<FleetRow> Fleet(const std::string& id) override {
    ++reads;
    const auto it = fleets.find(id);
    if (it == fleets.end()) return std::nullopt;
    return it->second;
  }

  std::map<std::int64_t, BrokerConfig> brokers;  // by id
  std::map<std::string, FleetRow> fleets;        // by id
  int reads = 0;
};

// A FakeContext (no storage) whose brokers() is a MapBrokerDirectory.
class MapContext : public FakeContext {
 public:
  BrokerDirectory& brokers() override { return directory_; }
  MapBrokerDirectory directory_;
};

// A stored broker as the directory hands it out: active, not the default,
// host "<name>.example.com".
inline BrokerConfig StoredBroker(std::int64_t id, const std::string& name) {
  BrokerConfig broker;
  broker.id = id;
  broker.name = name;
  broker.host = name + ".example.com";
  broker.from_storage = true;
  return broker;
}

// "device:pass,env:resolved": the trace in one comparable string.
inline std::string Outcomes(const Resolution& resolution) {
  std::string out;
  for (const auto& step : resolution.trace) {
    out += (out.empty() ? "" : ",") + step.plugin + ":" + OutcomeName(step.outcome);
  }
  return out;
}

}  // namespace switchboard::testing
