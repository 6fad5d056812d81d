// The broker and fleet cache behind ResolveContext::brokers(), and the rule
// that keeps it exact.
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
// statement as the device and hands it to the resolution's directory
// (StorageBrokerDirectory::NoteConfigVersion); otherwise the first broker
// read of the resolution runs one `SELECT version`. So a resolution never
// sees an older broker or fleet than an uncached read at that moment would:
// a change committed through any instance is seen by the next resolution
// everywhere, explain included. Details and the measurements: docs/caching.md.
//
// Scope: only reads through a StorageBrokerDirectory (one per host
// ResolveContext, so one per resolution), on a session the Storage pool
// owns, use the snapshot. Every read of broker_rows.h runs its SELECT.
//
// Thread safety: a ConfigSnapshot is immutable and shared (its `derived`
// slot is built once, under std::call_once). The holder is safe from any
// thread. A StorageBrokerDirectory belongs to its resolution's thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <unordered_map>
#include <vector>

#include "health/health_view.h"
#include "switchboard/broker.h"
#include "switchboard/broker_directory.h"
#include "switchboard/resolver.h"

namespace soci {
class session;
}

namespace switchboard {

// What a layer above storage derives from one snapshot's rows and keeps for
// as long as the snapshot lives: the device view's `failover` entries
// (domain/failover_entries.h), its one user. Storage cannot build it (it
// knows no JSON), so it is built on first use, once, and freed with the
// snapshot; a broker edit makes a new snapshot, hence a new build.
// Thread-safe: concurrent first users wait for the one build.
class SnapshotDerived {
 public:
  // The value, built by `build()` (returning a T) on the first call. Every
  // call must name the same T; another throws std::logic_error.
  template <typename T, typename Build>
  const T& Get(Build&& build) const {
    std::call_once(once_, [&] {
      value_ = std::make_shared<const T>(build());
      type_ = &typeid(T);
    });
    if (*type_ != typeid(T)) throw std::logic_error("SnapshotDerived: asked for another type");
    return *static_cast<const T*>(value_.get());
  }

 private:
  mutable std::once_flag once_;
  mutable std::shared_ptr<const void> value_;
  mutable const std::type_info* type_ = nullptr;
};

struct ConfigSnapshot {
  std::int64_t version = 0;
  std::unordered_map<std::int64_t, BrokerConfig> brokers;  // every row, by id
  std::optional<std::int64_t> default_id;                  // lowest id with is_default = 1
  // Active brokers by region (rows whose region is NULL are in none), by id.
  std::map<std::string, std::vector<const BrokerConfig*>, std::less<>> active_by_region;
  std::unordered_map<std::string, FleetRow> fleets;  // every fleet, by id
  SnapshotDerived derived;                           // built from the rows above on first use
};

// The current version as a scalar subquery: statements that read a device
// or a key add it as a column, so the resolution that follows needs no query
// of its own for it (StorageBrokerDirectory::NoteConfigVersion below).
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

// Makes the held snapshot at least `version` new, loading one on `sql` when
// it is older (a no-op on a session Storage does not pool). A host that
// resolves inside a write transaction, where no snapshot is ever loaded,
// calls it before the transaction with a version it read on `sql`, so the
// chain's broker and fleet reads there come from the cache. Throws
// soci_error.
void PrimeConfigSnapshot(soci::session& sql, std::int64_t version);

// The BrokerDirectory of one resolution: what a host ResolveContext
// returns from brokers(). Reads come from the Storage pool's snapshot when
// the rule above allows it, else from the session's prepared SELECTs
// (broker_rows.h). It holds the resolution's state (the session the version
// was read on, the version, the snapshot in use), so it serves exactly one
// resolution: each host context owns one, and a context serves one
// resolution. Not thread-safe.
class StorageBrokerDirectory final : public BrokerDirectory {
 public:
  // Every read takes its session from `context.sql()` (so the context's
  // lease, reconnect and savepoint rules apply to broker reads too).
  // `context` must outlive the directory; it is usually its owner.
  explicit StorageBrokerDirectory(ResolveContext& context) : context_(context) {}
  StorageBrokerDirectory(const StorageBrokerDirectory&) = delete;
  StorageBrokerDirectory& operator=(const StorageBrokerDirectory&) = delete;

  // The host read `version` from config_version on `sql`, during this
  // resolution, in the statement that loaded the device: reads on `sql`
  // need not read it again.
  void NoteConfigVersion(soci::session& sql, std::int64_t version);

  // The same for a version read during this resolution on a connection the
  // Storage pool does not own (DeviceReadPipeline, PostgreSQL only): the
  // first session the resolution reads brokers on adopts it. Sound on
  // PostgreSQL, where an autocommit statement sees every commit that
  // finished before it started, whichever the connection.
  void NoteConfigVersionReadElsewhere(std::int64_t version);

  // BrokerDirectory (broker_directory.h). Throw what context.sql() throws,
  // and soci_error.
  std::optional<BrokerConfig> ById(std::int64_t id) override;
  std::optional<BrokerConfig> Default() override;
  std::vector<BrokerConfig> ActiveInRegion(const std::string& region) override;
  std::optional<FleetRow> Fleet(const std::string& id) override;
  // From the snapshot handed to UseHealth(); kUnknown without one.
  BrokerHealthState Health(std::int64_t id) override;

  // The snapshot ById() and the other reads answer from, shared: its rows
  // stay valid for as long as the caller holds it, past this directory.
  // nullptr when the reads run their SELECT (the same rule as above; may
  // read the version and load a snapshot, like the first read). For the
  // endpoint list (engine/endpoint_list.h, ListEndpoints), which points at
  // backups instead of copying them. Throws what ById() throws.
  std::shared_ptr<const ConfigSnapshot> SharedSnapshot();

  // The health view's snapshot this resolution answers Health() from.
  // `health` must outlive the resolution; nullptr: every broker unknown.
  void UseHealth(const HealthSnapshot* health) { health_ = health; }

 private:
  // The snapshot this resolution uses for reads on `sql`, or nullptr when
  // reads must run their SELECT (a session Storage does not pool, tables
  // too big, inside a transaction with no snapshot new enough). May read the
  // version and load a snapshot (see the rule above).
  const ConfigSnapshot* Snapshot(soci::session& sql);

  ResolveContext& context_;
  soci::session* session_ = nullptr;  // the session `version_` and `snapshot_` are for
  std::optional<std::int64_t> version_;
  // `version_` was read during this resolution on a connection of its own
  // (DeviceReadPipeline): the first session the resolution reads on adopts it.
  bool version_for_any_session_ = false;
  std::shared_ptr<const ConfigSnapshot> snapshot_;
  bool uncached_ = false;  // decided: this resolution reads storage directly
  const HealthSnapshot* health_ = nullptr;
};

}  // namespace switchboard
