// The benchmark dataset: a deterministic function of the device index, so
// the generator (dataset_main.cc), the in-process benchmark (chain_bench.cc)
// and the wrk scripts (fetch.lua, register.lua) agree on every uuid and key
// without sharing a file. Keep the formulas in step with the Lua scripts.
//
// Shape (independent of N):
//   - 6 regions, 36 brokers (broker b in region (b-1) % 6; odd b are mqtts
//     on 8883, even b mqtt on 1883; broker 1 is the default; broker 36 is
//     inactive and assigned to nobody);
//   - 24 fleets `fleet-00`..`fleet-23`; even fleets have a broker;
//   - device i (0-based): uuid DeviceUuid(i), API key DeviceApiKey(i), fleet
//     i % 24, region i % 6; i % 10 < 4 (40%) are pinned to a broker (the
//     `device` step resolves them), the others resolve through their fleet
//     (about 30%) or their region (about 30%);
//   - one provisioning key (kProvisioningKey, fleet-00, no maximum).
#pragma once

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace switchboard::bench {

inline constexpr int kRegionCount = 6;
inline constexpr int kBrokerCount = 36;
inline constexpr int kFleetCount = 24;
inline constexpr const char* kRegions[kRegionCount] = {"eu-west", "eu-central", "us-east",
                                                       "us-west", "ap-south",   "ap-east"};
inline constexpr char kProvisioningKey[] =
    "bench-provisioning-key-7b1f0c55d3a94e28b6f1a0c9e4d27f63";
inline constexpr char kProvisioningFleet[] = "fleet-00";

// "%08x-0000-4000-8000-%012x": a scrambled first group (so rows are not
// inserted in index order) and the index itself (so uuids are unique).
inline std::string DeviceUuid(std::int64_t i) {
  const std::uint64_t scrambled = (static_cast<std::uint64_t>(i) * 2654435761ULL) % 4294967296ULL;
  char buffer[64];  // 36 used; room for any 64-bit values
  std::snprintf(buffer, sizeof buffer, "%08" PRIx64 "-0000-4000-8000-%012" PRIx64, scrambled,
                static_cast<std::uint64_t>(i));
  return buffer;
}

inline std::string DeviceApiKey(std::int64_t i) { return "bench-device-key-" + std::to_string(i); }

inline std::string FleetId(int f) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "fleet-%02d", f);
  return buffer;
}

// Brokers are numbered 1..kBrokerCount in insertion order (their names carry
// the number; ids are looked up by name).
inline std::string BrokerName(int b) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "bench-broker-%02d", b);
  return buffer;
}

// The broker number a fleet is assigned to, if any.
inline std::optional<int> FleetBroker(int f) {
  if (f % 2 != 0) return std::nullopt;
  return 1 + (f * 5) % (kBrokerCount - 1);
}

inline bool DevicePinned(std::int64_t i) { return i % 10 < 4; }
// The broker number device i is pinned to (only when DevicePinned(i)).
inline int DeviceBroker(std::int64_t i) { return 1 + static_cast<int>(i % (kBrokerCount - 1)); }
inline int DeviceFleet(std::int64_t i) { return static_cast<int>(i % kFleetCount); }
inline const char* DeviceRegion(std::int64_t i) { return kRegions[i % kRegionCount]; }

}  // namespace switchboard::bench
