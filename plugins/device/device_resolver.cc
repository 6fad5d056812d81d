// plugin/device: the broker an operator pinned this device to
// (`devices.mqtt_broker_id`, seed priority 1). See README.md.
#include <switchboard/abi.h>
#include <switchboard/broker_rows.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

using switchboard::Decision;

class DeviceResolver : public switchboard::Resolver {
 public:
  std::string Name() const override { return "device"; }

  Decision Resolve(switchboard::ResolveContext& context) const override {
    const switchboard::Device& device = context.device();
    if (!device.mqtt_broker_id) return Decision::Pass("device has no broker assigned");
    const std::int64_t id = *device.mqtt_broker_id;
    auto broker = switchboard::LoadBrokerById(context.sql(), id);
    if (!broker) {
      return Decision::Pass("assigned broker id " + std::to_string(id) + " does not exist");
    }
    if (!broker->is_active) {
      return Decision::Pass("assigned broker " + switchboard::DescribeBroker(*broker) +
                            " is inactive");
    }
    std::string reason = "assigned broker " + switchboard::DescribeBroker(*broker);
    return Decision::Resolved(std::move(*broker), std::move(reason));
  }
};

std::unique_ptr<switchboard::Resolver> Create(const switchboard::ParamValue& params,
                                              std::vector<switchboard::ParamProblem>& problems) {
  switchboard::ParamsReader reader(params);  // takes no params
  problems = reader.Finish();
  if (!problems.empty()) return nullptr;
  return std::make_unique<DeviceResolver>();
}

}  // namespace

SWITCHBOARD_RESOLVER_PLUGIN(Create)
