#include "engine/endpoint_list.h"

#include <algorithm>
#include <utility>

namespace switchboard {
namespace {

bool Listed(const std::vector<EndpointRef>& list, std::int64_t id) {
  if (id == 0) return false;  // an env broker: nothing to be a duplicate of
  return std::any_of(list.begin(), list.end(),
                     [id](const EndpointRef& e) { return e.broker().id == id; });
}

void Add(std::vector<EndpointRef>& list, EndpointRef ref, const HealthSnapshot& health) {
  const std::int64_t id = ref.broker().id;
  ref.health = id == 0 ? HealthState::kUnknown : health.Of(id).state;
  list.push_back(ref);
}

// Health: unhealthy endpoints move behind the others, and the `health` step
// says so when that changes the first one (endpoint_list.h).
void OrderByHealth(std::vector<EndpointRef>& list, const HealthSnapshot& health,
                   std::vector<TraceStep>& trace) {
  const auto unhealthy = [](const EndpointRef& e) { return e.health == HealthState::kUnhealthy; };
  const std::size_t down =
      static_cast<std::size_t>(std::count_if(list.begin(), list.end(), unhealthy));
  if (down == 0) return;
  TraceStep step;
  step.plugin = "health";
  if (down == list.size()) {
    step.outcome = TraceStep::Outcome::kPanic;
    step.reason = "every endpoint unhealthy (" + std::to_string(down) +
                  "): handing out the list in its original order, " +
                  DescribeBroker(list.front().broker()) + " first";
    trace.push_back(std::move(step));
    return;
  }
  const bool first_down = unhealthy(list.front());
  std::string reason;
  if (first_down) {
    reason = "broker " + DescribeBroker(list.front().broker()) + " unhealthy since " +
             health.Of(list.front().broker().id).since + ": handing out ";
  }
  std::stable_partition(list.begin(), list.end(),
                        [&unhealthy](const EndpointRef& e) { return !unhealthy(e); });
  if (!first_down) return;  // the device keeps its broker; only the list's tail moved
  step.outcome = TraceStep::Outcome::kFailover;
  step.reason = reason + DescribeBroker(list.front().broker());
  trace.push_back(std::move(step));
}

// A backup read from the directory (its SELECT or its copy), kept in `read`
// for as long as the list points at it; empty when there is none.
EndpointRef ReadOwned(BrokerDirectory& directory, std::int64_t id,
                      std::vector<std::unique_ptr<BrokerConfig>>& read) {
  std::optional<BrokerConfig> backup = directory.ById(id);
  if (!backup) return {};
  read.push_back(std::make_unique<BrokerConfig>(std::move(*backup)));
  return {read.back().get(), nullptr};
}

// The list of both forms, from a resolution that resolved. `read(id)` is
// the broker with that id, active or not, as a reference (`own` or `row`
// set), or an empty reference when there is none.
template <typename Read>
std::vector<EndpointRef> Build(Resolution& resolution, Read read, const HealthSnapshot& health) {
  std::vector<EndpointRef> list;
  // Room for the primary's own backups too (the usual list).
  list.reserve(std::min(kMaxEndpoints, 1 + resolution.alternates.size() +
                                           resolution.broker->backup_broker_ids.size()));
  Add(list, {&*resolution.broker, nullptr}, health);
  for (BrokerConfig& alternate : resolution.alternates) {
    if (list.size() == kMaxEndpoints) break;
    if (!alternate.is_active || Listed(list, alternate.id)) continue;
    Add(list, {&alternate, nullptr}, health);
  }
  // Breadth first over the growing list: each endpoint's backups once.
  // Ids already looked up (listed, inactive or missing) are not read again.
  std::vector<std::int64_t> seen;
  for (std::size_t i = 0; i < list.size() && list.size() < kMaxEndpoints; ++i) {
    // The broker is not in `list` (only a pointer to it is): growing the
    // list leaves its backup ids where they are.
    for (const std::int64_t id : list[i].broker().backup_broker_ids) {
      if (list.size() == kMaxEndpoints) break;
      if (Listed(list, id) || std::find(seen.begin(), seen.end(), id) != seen.end()) continue;
      seen.push_back(id);
      const EndpointRef backup = read(id);
      if ((backup.own != nullptr || backup.row != nullptr) && backup.broker().is_active) {
        Add(list, backup, health);
      }
    }
  }
  OrderByHealth(list, health, resolution.trace);
  return list;
}

}  // namespace

void AddEndpoints(Resolution& resolution, BrokerDirectory& directory,
                  const HealthSnapshot& health) {
  if (!resolution.broker) return;
  std::vector<std::unique_ptr<BrokerConfig>> read;
  const std::vector<EndpointRef> list = Build(
      resolution, [&](std::int64_t id) { return ReadOwned(directory, id, read); }, health);
  std::vector<Endpoint>& endpoints = resolution.endpoints;
  endpoints.clear();
  endpoints.reserve(list.size());
  for (const EndpointRef& ref : list) {
    if (ref.own == &*resolution.broker) {
      endpoints.push_back({*ref.own, ref.health});  // `broker` stays the chain's answer
    } else {
      endpoints.push_back({std::move(*ref.own), ref.health});
    }
  }
  resolution.alternates.clear();
}

EndpointRefs ListEndpoints(Resolution& resolution, StorageBrokerDirectory& directory,
                           const HealthSnapshot& health) {
  EndpointRefs refs;
  if (!resolution.broker) return refs;
  bool asked = false;  // for the snapshot: only a list with backups needs it
  refs.list = Build(
      resolution,
      [&](std::int64_t id) -> EndpointRef {
        if (!asked) {
          refs.snapshot = directory.SharedSnapshot();
          asked = true;
        }
        if (refs.snapshot) {
          const auto it = refs.snapshot->brokers.find(id);
          if (it == refs.snapshot->brokers.end()) return {};
          return {nullptr, &it->second};
        }
        return ReadOwned(directory, id, refs.read);
      },
      health);
  return refs;
}

}  // namespace switchboard
