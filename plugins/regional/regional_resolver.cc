// plugin/regional: an active broker of the device's region, chosen by
// weighted rendezvous hashing of the device uuid (rendezvous.h). See README.md.
#include <switchboard/abi.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "rendezvous.h"

namespace {

using switchboard::Decision;
using FallbackRegions = std::map<std::string, std::vector<std::string>>;

std::string Quoted(const std::string& s) { return "'" + s + "'"; }

class RegionalResolver : public switchboard::Resolver {
 public:
  explicit RegionalResolver(FallbackRegions fallbacks) : fallbacks_(std::move(fallbacks)) {}

  std::string Name() const override { return "regional"; }

  Decision Resolve(switchboard::ResolveContext& context) const override {
    const switchboard::Device& device = context.device();
    if (device.region.empty()) return Decision::Pass("device has no region");

    std::vector<std::string> regions = {device.region};
    if (const auto it = fallbacks_.find(device.region); it != fallbacks_.end()) {
      regions.insert(regions.end(), it->second.begin(), it->second.end());
    }
    switchboard::BrokerDirectory& directory = context.brokers();
    for (std::size_t i = 0; i < regions.size(); ++i) {
      auto brokers = directory.ActiveInRegion(regions[i]);
      const std::size_t pick = switchboard::regional::PickRendezvous(device.uuid, brokers);
      if (pick == brokers.size()) continue;
      std::string reason = i == 0 ? "region " + Quoted(regions[i])
                                  : "fallback region " + Quoted(regions[i]) + " (none active in " +
                                        Quoted(device.region) + ")";
      reason += ": broker " + switchboard::DescribeBroker(brokers[pick]) +
                ", weighted rendezvous over " + std::to_string(brokers.size()) + " active";
      return Decision::Resolved(std::move(brokers[pick]), std::move(reason));
    }
    std::string reason = "no active broker in region " + Quoted(device.region);
    if (regions.size() > 1) {
      reason += " nor its fallback regions";
      for (std::size_t i = 1; i < regions.size(); ++i)
        reason += (i == 1 ? " " : ", ") + Quoted(regions[i]);
    }
    return Decision::Pass(std::move(reason));
  }

 private:
  const FallbackRegions fallbacks_;
};

std::unique_ptr<switchboard::Resolver> Create(const switchboard::ParamValue& params,
                                              std::vector<switchboard::ParamProblem>& problems) {
  switchboard::ParamsReader reader(params);
  FallbackRegions fallbacks;
  if (const switchboard::ParamValue* map = reader.Raw("fallback_regions")) {
    if (!map->IsMap()) {
      reader.Problem("'fallback_regions' must be a map of region: [fallback regions]", map->mark);
    } else {
      for (const auto& [region, list] : map->entries) {
        if (region.empty()) reader.Problem("'fallback_regions': empty region name", list.mark);
        if (!list.IsList()) {
          reader.Problem(
              "'fallback_regions." + region + "' must be a list of regions, e.g. [eu-central]",
              list.mark);
          continue;
        }
        std::set<std::string> seen;
        for (const auto& item : list.items) {
          if (!item.IsScalar() || item.scalar.empty()) {
            reader.Problem("'fallback_regions." + region + "' items must be region names",
                           item.mark);
          } else if (item.scalar == region) {
            reader.Problem("'fallback_regions." + region + "' lists the region itself", item.mark);
          } else if (!seen.insert(item.scalar).second) {
            reader.Problem(
                "'fallback_regions." + region + "' lists " + Quoted(item.scalar) + " twice",
                item.mark);
          } else {
            fallbacks[region].push_back(item.scalar);
          }
        }
      }
    }
  }
  problems = reader.Finish();
  if (!problems.empty()) return nullptr;
  return std::make_unique<RegionalResolver>(std::move(fallbacks));
}

}  // namespace

SWITCHBOARD_RESOLVER_PLUGIN(Create)
