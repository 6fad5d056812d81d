// plugin/device: the broker an operator pinned this device to
// (`devices.mqtt_broker_id`, seed priority 1). See README.md.
#include <switchboard/abi.h>

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
    auto broker = context.brokers().ById(id);
    if (!broker) {
      return Decision::Pass("assigned broker id " + std::to_string(id) + " does not exist");
    }
    return switchboard::ActiveBrokerOrPass(std::move(*broker), "assigned broker");
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
