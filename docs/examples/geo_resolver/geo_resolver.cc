// geo: routes devices to a broker by their region, from a map in the YAML.
//
// compile with:
//   cmake -S . -B build -DCMAKE_PREFIX_PATH=<Switchboard install prefix>
//   cmake --build build
// use in config with:
//   resolution:
//     chain:
//       - plugin: device
//       - path: /opt/acme/libgeo.so
//         params:
//           brokers: { eu-west: "mqtts://eu.mqtt.example.com:8883" }
//           deny: [embargoed]
//       - plugin: default
//
// Outcomes: Resolved when the device's region has a broker in `brokers`;
// Reject when it is listed in `deny`; Pass otherwise.
#include <switchboard/abi.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using switchboard::BrokerConfig;
using switchboard::Decision;

class GeoResolver : public switchboard::Resolver {
 public:
  GeoResolver(std::map<std::string, BrokerConfig> brokers, std::set<std::string> deny)
      : brokers_(std::move(brokers)), deny_(std::move(deny)) {}

  std::string Name() const override { return "geo"; }

  // Called concurrently from many threads: only reads immutable members.
  Decision Resolve(switchboard::ResolveContext& context) const override {
    const std::string& region = context.device().region;
    if (region.empty()) return Decision::Pass("device has no region");
    if (deny_.count(region) != 0) return Decision::Reject("region '" + region + "' is denied");
    const auto it = brokers_.find(region);
    if (it == brokers_.end()) return Decision::Pass("no broker for region '" + region + "'");
    return Decision::Resolved(it->second, "region '" + region + "'");
  }

 private:
  const std::map<std::string, BrokerConfig> brokers_;
  const std::set<std::string> deny_;
};

// Validates every param once, reporting every problem (unknown keys too).
std::unique_ptr<switchboard::Resolver> Create(const switchboard::ParamValue& params,
                                              std::vector<switchboard::ParamProblem>& problems) {
  switchboard::ParamsReader reader(params);
  std::map<std::string, BrokerConfig> brokers;
  if (const switchboard::ParamValue* map = reader.Raw("brokers")) {
    if (!map->IsMap()) {
      reader.Problem("'brokers' must be a map of region: URL", map->mark);
    } else {
      for (const auto& [region, url] : map->entries) {
        std::string error;
        std::optional<BrokerConfig> broker;
        if (url.IsScalar()) broker = switchboard::ParseBrokerUrl(url.scalar, &error);
        if (!broker) {
          reader.Problem("'brokers." + region + "': " + (error.empty() ? "must be a URL" : error),
                         url.mark);
          continue;
        }
        brokers.emplace(region, std::move(*broker));
      }
    }
  }
  const std::vector<std::string> deny = reader.StringList("deny");
  problems = reader.Finish();
  if (!problems.empty()) return nullptr;
  return std::make_unique<GeoResolver>(std::move(brokers),
                                       std::set<std::string>(deny.begin(), deny.end()));
}

}  // namespace

SWITCHBOARD_RESOLVER_PLUGIN(Create)
