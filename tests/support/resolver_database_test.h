// A DatabaseTest with helpers to seed brokers, fleets and devices and to
// resolve through a chain built from a YAML snippet (engine_testing.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/resolve_context.h"
#include "engine_testing.h"
#include "test_database.h"

namespace switchboard::testing {

struct BrokerSeed {
  std::int64_t id = 0;
  std::string name = "";
  std::string host = "mqtt.example.com";
  int port = 1883;
  std::string protocol = "mqtt";
  bool active = true;
  bool is_default = false;
  std::string region = "";  // "" = NULL
  int weight = 100;
};

struct DeviceSeed {
  std::string uuid = "";
  std::string fleet = "";   // "" = NULL
  std::string region = "";  // "" = NULL
  std::optional<std::int64_t> broker = std::nullopt;
};

class ResolverDatabaseTest : public DatabaseTest {
 protected:
  static std::string Text(const std::string& s) { return s.empty() ? "NULL" : "'" + s + "'"; }

  void InsertBroker(const BrokerSeed& b) {
    Exec(
        "INSERT INTO mqtt_broker_config (id, name, host, port, protocol, is_active, is_default, "
        "region, weight) VALUES (" +
        std::to_string(b.id) + ", '" + b.name + "', '" + b.host + "', " + std::to_string(b.port) +
        ", '" + b.protocol + "', " + (b.active ? "1" : "0") + ", " + (b.is_default ? "1" : "0") +
        ", " + Text(b.region) + ", " + std::to_string(b.weight) + ")");
  }

  void InsertFleet(const std::string& id, std::optional<std::int64_t> broker = std::nullopt) {
    Exec("INSERT INTO fleets (id, name, mqtt_broker_id) VALUES ('" + id + "', '" + id + "', " +
         (broker ? std::to_string(*broker) : "NULL") + ")");
  }

  void InsertDevice(const DeviceSeed& d) {
    Exec(
        "INSERT INTO devices (uuid, device_name, device_type, api_key_hash, fleet_id, region, "
        "mqtt_broker_id) VALUES ('" +
        d.uuid + "', 'name', 'type', 'hash', " + Text(d.fleet) + ", " + Text(d.region) + ", " +
        (d.broker ? std::to_string(*d.broker) : "NULL") + ")");
  }

  // `health`: the brokers' health the resolution sees (nullptr: unknown).
  Resolution Resolve(const std::string& chain_yaml, const std::string& uuid,
                     const HealthSnapshot* health = nullptr) {
    const auto chain = ChainFromYaml(chain_yaml);
    return ResolveDevice(*chain, storage(), uuid, log_, health);
  }

  CapturingLogger log_;
};

}  // namespace switchboard::testing
