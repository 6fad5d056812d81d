#include "domain/failover_entries.h"

#include "domain/client_broker_config.h"
#include "domain/device_view.h"

namespace switchboard {

std::string FailoverEntryOf(const BrokerConfig& broker) {
  FailoverEndpoint endpoint;
  endpoint.broker = BrokerUrl(broker);
  if (broker.from_storage) endpoint.broker_config = ToClientBrokerConfig(broker);
  return FailoverEntryJson(endpoint);
}

const FailoverEntries& FailoverEntriesOf(const ConfigSnapshot& snapshot) {
  return snapshot.derived.Get<FailoverEntries>([&snapshot] {
    FailoverEntries entries;
    entries.json.reserve(snapshot.brokers.size());
    for (const auto& [id, broker] : snapshot.brokers) {
      if (broker.is_active) entries.json.emplace(id, FailoverEntryOf(broker));
    }
    return entries;
  });
}

}  // namespace switchboard
