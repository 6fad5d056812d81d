// geo: routes devices to a broker by their region, from maps in the YAML: a
// broker URL per region, or the id of a broker stored in Switchboard (read
// through the context's broker directory, so from the server's cache).
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
//           broker_ids: { us-east: 3 }
//           alternate_ids: { us-east: [4, 5] }
//           deny: [embargoed]
//       - plugin: default
//
// Outcomes: Resolved when the device's region has a broker in `brokers`, or
// an active stored broker in `broker_ids` (with the stored brokers of
// `alternate_ids` as its alternates: where the device goes, in order, when
// that broker is down); Reject when it is listed in `deny`; Pass otherwise
// (the reason says why).
#include <switchboard/abi.h>

#include <charconv>
#include <cstdint>
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
  GeoResolver(std::map<std::string, BrokerConfig> brokers,
              std::map<std::string, std::int64_t> broker_ids,
              std::map<std::string, std::vector<std::int64_t>> alternate_ids,
              std::set<std::string> deny)
      : brokers_(std::move(brokers)),
        broker_ids_(std::move(broker_ids)),
        alternate_ids_(std::move(alternate_ids)),
        deny_(std::move(deny)) {}

  std::string Name() const override { return "geo"; }

  // Called concurrently from many threads: only reads immutable members.
  Decision Resolve(switchboard::ResolveContext& context) const override {
    const std::string& region = context.device().region;
    if (region.empty()) return Decision::Pass("device has no region");
    if (deny_.count(region) != 0) return Decision::Reject("region '" + region + "' is denied");
    if (const auto it = brokers_.find(region); it != brokers_.end()) {
      return Decision::Resolved(it->second, "region '" + region + "'");
    }
    if (const auto it = broker_ids_.find(region); it != broker_ids_.end()) {
      // A stored broker: read through the host's cache, never with SQL of
      // our own. Throws when storage is down: the chain records an error.
      auto broker = context.brokers().ById(it->second);
      if (!broker) {
        return Decision::Pass("broker id " + std::to_string(it->second) + " of region '" + region +
                              "' does not exist");
      }
      Decision decision =
          switchboard::ActiveBrokerOrPass(std::move(*broker), "region '" + region + "' broker");
      if (decision.outcome != Decision::Outcome::kResolved) return decision;
      // The host's health view, as the host will order the list by it: no
      // query. Said in the reason only; the host fails over by itself.
      if (context.brokers().Health(it->second) == switchboard::BrokerHealthState::kUnhealthy) {
        decision.reason += " (unhealthy)";
      }
      // Alternates: the host drops missing and inactive ones and appends
      // each broker's own backups after them.
      if (const auto alt = alternate_ids_.find(region); alt != alternate_ids_.end()) {
        for (const std::int64_t id : alt->second) {
          if (auto alternate = context.brokers().ById(id)) {
            decision.alternates.push_back(std::move(*alternate));
          }
        }
      }
      return decision;
    }
    return Decision::Pass("no broker for region '" + region + "'");
  }

 private:
  const std::map<std::string, BrokerConfig> brokers_;
  const std::map<std::string, std::int64_t> broker_ids_;
  const std::map<std::string, std::vector<std::int64_t>> alternate_ids_;
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
  std::map<std::string, std::int64_t> broker_ids;
  if (const switchboard::ParamValue* map = reader.Raw("broker_ids")) {
    if (!map->IsMap()) {
      reader.Problem("'broker_ids' must be a map of region: broker id", map->mark);
    } else {
      for (const auto& [region, id] : map->entries) {
        std::int64_t value = 0;
        const char* end = id.scalar.data() + id.scalar.size();
        if (!id.IsScalar() || std::from_chars(id.scalar.data(), end, value).ptr != end ||
            value <= 0) {
          reader.Problem("'broker_ids." + region + "': must be a broker id (a positive integer)",
                         id.mark);
          continue;
        }
        if (brokers.count(region) != 0) {
          reader.Problem("'broker_ids." + region + "': region already has a URL in 'brokers'",
                         id.mark);
          continue;
        }
        broker_ids.emplace(region, value);
      }
    }
  }
  std::map<std::string, std::vector<std::int64_t>> alternate_ids;
  if (const switchboard::ParamValue* map = reader.Raw("alternate_ids")) {
    if (!map->IsMap()) {
      reader.Problem("'alternate_ids' must be a map of region: [broker ids]", map->mark);
    } else {
      for (const auto& [region, list] : map->entries) {
        if (broker_ids.count(region) == 0) {
          reader.Problem("'alternate_ids." + region + "': region has no broker in 'broker_ids'",
                         list.mark);
          continue;
        }
        if (!list.IsList()) {
          reader.Problem("'alternate_ids." + region + "': must be a list of broker ids", list.mark);
          continue;
        }
        for (const switchboard::ParamValue& id : list.items) {
          std::int64_t value = 0;
          const char* end = id.scalar.data() + id.scalar.size();
          if (!id.IsScalar() || std::from_chars(id.scalar.data(), end, value).ptr != end ||
              value <= 0) {
            reader.Problem("'alternate_ids." + region + "': items must be broker ids", id.mark);
            continue;
          }
          alternate_ids[region].push_back(value);
        }
      }
    }
  }
  const std::vector<std::string> deny = reader.StringList("deny");
  problems = reader.Finish();
  if (!problems.empty()) return nullptr;
  return std::make_unique<GeoResolver>(std::move(brokers), std::move(broker_ids),
                                       std::move(alternate_ids),
                                       std::set<std::string>(deny.begin(), deny.end()));
}

}  // namespace

SWITCHBOARD_RESOLVER_PLUGIN(Create)
