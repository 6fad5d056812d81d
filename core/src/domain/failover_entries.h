// Each broker's `failover` entry as a device is handed it (DeviceViewJson,
// device_view.h), written once per config snapshot and shared by every
// config fetch that lists the broker as a backup, instead of each fetch
// copying the broker's row and writing its JSON again.
//
// The cache lives in the snapshot it derives from (ConfigSnapshot::derived,
// storage/config_snapshot.h): it is built on first use from that snapshot's
// rows and dies with it, so an edit of a broker, which makes a new snapshot,
// makes new entries. The entries are the bytes FailoverEntryJson writes for
// the row, so a view built from them is byte for byte the view built from
// the rows, and its configVersion is the same.
//
// Thread safety: FailoverEntriesOf() may be called from any thread; the
// first call per snapshot builds, the others wait for it, and the entries
// are immutable afterwards.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "storage/config_snapshot.h"

namespace switchboard {

struct FailoverEntries {
  // FailoverEntryJson of every active broker of the snapshot, by id.
  // Inactive brokers are never in a list (engine/endpoint_list.h).
  std::unordered_map<std::int64_t, std::string> json;
};

// The entries of `snapshot`, built on the first call. Valid as long as the
// snapshot is.
const FailoverEntries& FailoverEntriesOf(const ConfigSnapshot& snapshot);

// What FailoverEntriesOf() holds for one row, built from scratch (the
// whitelist of ToClientBrokerConfig, client_broker_config.h).
std::string FailoverEntryOf(const BrokerConfig& broker);

}  // namespace switchboard
