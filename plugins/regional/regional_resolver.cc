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
  RegionalResolver(FallbackRegions fallbacks, std::size_t alternates)
      : fallbacks_(std::move(fallbacks)), alternates_(alternates) {}

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
      const std::vector<std::size_t> ranked =
          switchboard::regional::RankRendezvous(device.uuid, brokers);
      if (ranked.empty()) continue;
      // Rendezvous over the brokers not known to be down, while one is
      // left: the first of them in the device's ranking. Only devices whose
      // own broker is down move. With every one down, the ranking stands
      // (the host hands out the list in order).
      std::size_t first = 0;
      while (first < ranked.size() && directory.Health(brokers[ranked[first]].id) ==
                                          switchboard::BrokerHealthState::kUnhealthy) {
        ++first;
      }
      const std::size_t skipped = first == ranked.size() ? 0 : first;
      if (first == ranked.size()) first = 0;
      const std::size_t pick = ranked[first];
      std::string reason = i == 0 ? "region " + Quoted(regions[i])
                                  : "fallback region " + Quoted(regions[i]) + " (none active in " +
                                        Quoted(device.region) + ")";
      reason += ": broker " + switchboard::DescribeBroker(brokers[pick]) +
                ", weighted rendezvous over " + std::to_string(brokers.size()) + " active";
      if (skipped > 0) reason += " (" + std::to_string(skipped) + " unhealthy skipped)";
      // The device's next choices, in its own ranking order: stable while
      // the region's set is unchanged.
      std::vector<switchboard::BrokerConfig> alternates;
      for (std::size_t r = 0; r < ranked.size() && alternates.size() < alternates_; ++r) {
        if (r != first) alternates.push_back(std::move(brokers[ranked[r]]));
      }
      return Decision::Resolved(std::move(brokers[pick]), std::move(reason), std::move(alternates));
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
  const std::size_t alternates_;
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
  const std::int64_t alternates = reader.Integer("alternates", 2);
  if (alternates < 0 || alternates > 16) {
    reader.Problem("alternates", "must be 0..16 (the device's next rendezvous choices)");
  }
  problems = reader.Finish();
  if (!problems.empty()) return nullptr;
  return std::make_unique<RegionalResolver>(std::move(fallbacks),
                                            static_cast<std::size_t>(alternates));
}

}  // namespace

SWITCHBOARD_RESOLVER_PLUGIN(Create)
