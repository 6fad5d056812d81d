#include "engine/endpoint_list.h"

#include <algorithm>
#include <utility>

namespace switchboard {
namespace {

bool Listed(const std::vector<Endpoint>& endpoints, std::int64_t id) {
  if (id == 0) return false;  // an env broker: nothing to be a duplicate of
  return std::any_of(endpoints.begin(), endpoints.end(),
                     [id](const Endpoint& e) { return e.broker.id == id; });
}

void Add(std::vector<Endpoint>& endpoints, BrokerConfig broker, const HealthSnapshot& health) {
  const HealthState state = broker.id == 0 ? HealthState::kUnknown : health.Of(broker.id).state;
  endpoints.push_back({std::move(broker), state});
}

}  // namespace

void AddEndpoints(Resolution& resolution, BrokerDirectory& directory,
                  const HealthSnapshot& health) {
  if (!resolution.broker) return;
  std::vector<Endpoint>& endpoints = resolution.endpoints;
  endpoints.clear();
  // Room for the primary's own backups too (the usual list), so that adding
  // them moves no BrokerConfig already listed.
  endpoints.reserve(std::min(kMaxEndpoints, 1 + resolution.alternates.size() +
                                                resolution.broker->backup_broker_ids.size()));
  Add(endpoints, *resolution.broker, health);
  for (BrokerConfig& alternate : resolution.alternates) {
    if (endpoints.size() == kMaxEndpoints) break;
    if (!alternate.is_active || Listed(endpoints, alternate.id)) continue;
    Add(endpoints, std::move(alternate), health);
  }
  resolution.alternates.clear();
  // Breadth first over the growing list: each endpoint's backups once.
  // Ids already looked up (listed, inactive or missing) are not read again.
  std::vector<std::int64_t> seen;
  for (std::size_t i = 0; i < endpoints.size() && endpoints.size() < kMaxEndpoints; ++i) {
    // By index: Add() may reallocate the vector.
    for (std::size_t b = 0; b < endpoints[i].broker.backup_broker_ids.size(); ++b) {
      if (endpoints.size() == kMaxEndpoints) break;
      const std::int64_t id = endpoints[i].broker.backup_broker_ids[b];
      if (Listed(endpoints, id) || std::find(seen.begin(), seen.end(), id) != seen.end()) {
        continue;
      }
      seen.push_back(id);
      std::optional<BrokerConfig> backup = directory.ById(id);
      if (backup && backup->is_active) Add(endpoints, std::move(*backup), health);
    }
  }

  const auto unhealthy = [](const Endpoint& e) { return e.health == HealthState::kUnhealthy; };
  const std::size_t down =
      static_cast<std::size_t>(std::count_if(endpoints.begin(), endpoints.end(), unhealthy));
  if (down == 0) return;
  TraceStep step;
  step.plugin = "health";
  if (down == endpoints.size()) {
    step.outcome = TraceStep::Outcome::kPanic;
    step.reason = "every endpoint unhealthy (" + std::to_string(down) +
                  "): handing out the list in its original order, " +
                  DescribeBroker(endpoints.front().broker) + " first";
    resolution.trace.push_back(std::move(step));
    return;
  }
  const bool first_down = unhealthy(endpoints.front());
  std::string reason;
  if (first_down) {
    reason = "broker " + DescribeBroker(endpoints.front().broker) + " unhealthy since " +
             health.Of(endpoints.front().broker.id).since + ": handing out ";
  }
  std::stable_partition(endpoints.begin(), endpoints.end(),
                        [&unhealthy](const Endpoint& e) { return !unhealthy(e); });
  if (!first_down) return;  // the device keeps its broker; only the list's tail moved
  step.outcome = TraceStep::Outcome::kFailover;
  step.reason = reason + DescribeBroker(endpoints.front().broker);
  resolution.trace.push_back(std::move(step));
}

}  // namespace switchboard
