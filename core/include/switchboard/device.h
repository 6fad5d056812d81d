// Device: one row of `devices`, as resolvers see it. A plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace switchboard {

struct Device {
  std::int64_t id = 0;  // 0 while a registration is not yet stored
  std::string uuid;
  std::string device_name;
  std::string device_type;
  std::string fleet_id;  // empty when the device belongs to no fleet
  std::string region;    // empty when unknown
  // The broker an operator pinned this device to; nullopt = let the chain decide.
  std::optional<std::int64_t> mqtt_broker_id;
};

}  // namespace switchboard
