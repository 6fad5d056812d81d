// The broker and fleet cache behind the built-in resolvers' reads
// (switchboard/broker_rows.h), and the rule that keeps it exact.
//
// Brokers and fleets are few and change rarely; devices are many and are
// always read from storage. Every write to `mqtt_broker_config` or `fleets`
// bumps `config_version` in the same transaction (triggers, migration 002).
// A ConfigSnapshot holds every broker row and every fleet's broker as read
// at one version.
//
// The rule: a resolution uses a snapshot only after reading the current
// `config_version` itself, during that resolution, on its own session, and
// only a snapshot at least that new. The host reads the version in the same
// statement as the device (NoteConfigVersion); otherwise the first broker
// read of the resolution runs one `SELECT version`. So a resolution never
// sees an older broker or fleet than an uncached read at that moment would:
// a change committed through any instance is seen by the next resolution
// everywhere, explain included. Details and the measurements: docs/caching.md.
//
// Scope: only reads made while a chain resolution runs on this thread, on a
// session the Storage pool owns, use the snapshot (Chain::Resolve opens a
// ResolutionScope). Every other read of broker_rows.h runs its SELECT.
//
// Thread safety: a ConfigSnapshot is immutable and shared. The holder is
// safe from any thread. A ResolutionScope belongs to its thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "switchboard/broker.h"
#include "switchboard/broker_rows.h"

namespace soci {
class session;
}

namespace switchboard {

struct ConfigSnapshot {
  std::int64_t version = 0;
  std::unordered_map<std::int64_t, BrokerConfig> brokers;  // every row, by id
  std::optional<std::int64_t> default_id;                  // lowest id with is_default = 1
  // Active brokers by region (rows whose region is NULL are in none), by id.
  std::map<std::string, std::vector<const BrokerConfig*>, std::less<>> active_by_region;
  std::unordered_map<std::string, FleetRow> fleets;  // every fleet, by id
};

// The current version as a scalar subquery: statements that read a device
// or a key add it as a column, so the resolution that follows needs no query
// of its own for it (NoteConfigVersion below).
inline constexpr char kConfigVersionColumn[] = "(SELECT version FROM config_version WHERE id = 1)";

// Beyond these sizes the tables are not cached (memory, reload time): every
// read runs its SELECT.
inline constexpr std::int64_t kMaxSnapshotBrokers = 10'000;
inline constexpr std::int64_t kMaxSnapshotFleets = 100'000;

// One per Storage (one database). Thread-safe.
class ConfigSnapshotHolder {
 public:
  // A snapshot read at a version >= `version`; loads a new one on `sql`
  // when the held one is older (one loader at a time; the others wait).
  // nullptr when the tables are over the size limits. Throws soci_error.
  std::shared_ptr<const ConfigSnapshot> AtLeast(soci::session& sql, std::int64_t version);

  // Loads so far (tests and docs/caching.md).
  std::int64_t loads() const;

 private:
  mutable std::mutex mutex_;  // held while loading; readers of current_ do not take it
  std::shared_ptr<const ConfigSnapshot> current_;  // std::atomic_load / atomic_store only
  std::int64_t too_big_at_ = -1;  // version at which the tables were over the limits
  std::int64_t loads_ = 0;
};

// The current `config_version` (one SELECT, prepared once per session).
// Throws soci_error.
std::int64_t ReadConfigVersion(soci::session& sql);

// Reads every broker and fleet into a snapshot tagged `version` (which the
// caller read before, so the rows are at least that new). In broker_rows.cc,
// next to the column list. Throws soci_error.
std::shared_ptr<ConfigSnapshot> LoadConfigSnapshot(soci::session& sql, std::int64_t version);

// Opened by Chain::Resolve for the length of one resolution on this thread.
// Nested scopes join the outermost one, so a host that reads the device
// (and the version) before calling the chain can open it first.
class ResolutionScope {
 public:
  ResolutionScope();
  ~ResolutionScope();
  ResolutionScope(const ResolutionScope&) = delete;
  ResolutionScope& operator=(const ResolutionScope&) = delete;

 private:
  bool owner_;
};

// The host read `version` from config_version on `sql` in the statement that
// loaded the device: the resolution in progress on this thread need not
// read it again. No-op outside a resolution.
void NoteConfigVersion(soci::session& sql, std::int64_t version);

// The same for a version read during this resolution on a connection the
// Storage pool does not own (DeviceReadPipeline, PostgreSQL only): the
// first session the resolution reads brokers on adopts it. Sound on
// PostgreSQL, where an autocommit statement sees every commit that finished
// before it started, whichever the connection. No-op outside a resolution.
void NoteConfigVersionReadElsewhere(std::int64_t version);

// Makes the held snapshot at least `version` new, loading one on `sql` when
// it is older (a no-op on a session Storage does not pool). A host that
// resolves inside a write transaction, where no snapshot is ever loaded,
// calls it before the transaction with a version it read on `sql`, so the
// chain's broker and fleet reads there come from the cache. Throws
// soci_error.
void PrimeConfigSnapshot(soci::session& sql, std::int64_t version);

// For broker_rows.cc: the snapshot the resolution in progress on this thread
// uses for reads on `sql`, or nullptr when reads must run their SELECT (no
// resolution in progress, a session Storage does not pool, tables too big).
// May read the version and load a snapshot (see the rule above). Throws
// soci_error.
const ConfigSnapshot* ResolutionSnapshot(soci::session& sql);

}  // namespace switchboard
