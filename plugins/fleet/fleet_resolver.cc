// plugin/fleet: the broker assigned to the device's fleet
// (`fleets.mqtt_broker_id`). See README.md.
#include <switchboard/abi.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

using switchboard::Decision;

class FleetResolver : public switchboard::Resolver {
 public:
  std::string Name() const override { return "fleet"; }

  Decision Resolve(switchboard::ResolveContext& context) const override {
    const switchboard::Device& device = context.device();
    if (device.fleet_id.empty()) return Decision::Pass("device belongs to no fleet");
    const std::string fleet = "fleet '" + device.fleet_id + "'";

    switchboard::BrokerDirectory& brokers = context.brokers();
    const auto row = brokers.Fleet(device.fleet_id);
    if (!row) return Decision::Pass(fleet + " does not exist");
    if (!row->mqtt_broker_id) return Decision::Pass(fleet + " has no broker assigned");
    const std::int64_t broker_id = *row->mqtt_broker_id;

    auto broker = brokers.ById(broker_id);
    if (!broker) {
      return Decision::Pass(fleet + " broker id " + std::to_string(broker_id) + " does not exist");
    }
    return switchboard::ActiveBrokerOrPass(std::move(*broker), fleet + " broker");
  }
};

std::unique_ptr<switchboard::Resolver> Create(const switchboard::ParamValue& params,
                                              std::vector<switchboard::ParamProblem>& problems) {
  switchboard::ParamsReader reader(params);  // takes no params
  problems = reader.Finish();
  if (!problems.empty()) return nullptr;
  return std::make_unique<FleetResolver>();
}

}  // namespace

SWITCHBOARD_RESOLVER_PLUGIN(Create)
