// Helpers for the domain layer tests (brokers, fleets, devices, keys,
// registration).
//
// Requires the compile definitions SWITCHBOARD_TEST_PLUGIN_DIR (where
// libdomain_fixture.so is, tests/plugins/fixtures/domain_fixture.cc) and
// SWITCHBOARD_PLUGIN_DIR (the built-in plugins).
#pragma once

#include <soci/soci.h>

#include <cstdio>
#include <memory>
#include <string>

#include "domain/brokers.h"
#include "engine/chain.h"
#include "config/config.h"
#include "util/log.h"
#include "storage/storage.h"

namespace switchboard::testing {

// A chain from YAML list items indented by four spaces, e.g.
// "    - plugin: default\n". Plugins come from the fixture dir, then the
// built-in plugin dir.
inline std::shared_ptr<const Chain> DomainChain(const std::string& chain_yaml) {
  const std::string yaml = std::string("resolution:\n  plugin_dirs: [\"") +
                           SWITCHBOARD_TEST_PLUGIN_DIR + "\", \"" + SWITCHBOARD_PLUGIN_DIR +
                           "\"]\n  chain:\n" + chain_yaml;
  return BuildChain(ParseConfig(yaml, "domain-test.yaml"));
}

inline long long CountRows(Storage& storage, const std::string& table,
                           const std::string& where = "") {
  Storage::Lease lease = storage.Acquire();
  long long count = -1;
  *lease << "SELECT COUNT(*) FROM " + table + (where.empty() ? "" : " WHERE " + where),
      soci::into(count);
  return count;
}

// Rows in every table a registration writes, and the key counters' sum.
struct RowCounts {
  long long devices = 0, mqtt_users = 0, mqtt_acls = 0, provisioned = 0, fleets = 0;
  bool operator==(const RowCounts&) const = default;
};

inline RowCounts CountAll(Storage& storage) {
  RowCounts c;
  c.devices = CountRows(storage, "devices");
  c.mqtt_users = CountRows(storage, "mqtt_users");
  c.mqtt_acls = CountRows(storage, "mqtt_acls");
  c.fleets = CountRows(storage, "fleets");
  Storage::Lease lease = storage.Acquire();
  *lease << "SELECT COALESCE(SUM(devices_provisioned), 0) FROM provisioning_keys",
      soci::into(c.provisioned);
  return c;
}

inline std::ostream& operator<<(std::ostream& out, const RowCounts& c) {
  return out << "{devices " << c.devices << ", mqtt_users " << c.mqtt_users << ", mqtt_acls "
             << c.mqtt_acls << ", provisioned " << c.provisioned << ", fleets " << c.fleets << "}";
}

// A canonical uuid numbered n.
inline std::string TestUuid(int n) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "00000000-0000-4000-8000-%012d", n);
  return buffer;
}

inline BrokerInput MinimalBroker(const std::string& name,
                                 const std::string& host = "mqtt.example") {
  BrokerInput in;
  in.name = name;
  in.host = host;
  return in;
}

}  // namespace switchboard::testing
