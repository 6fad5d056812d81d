// ResolveContext implementations for the host, and the one-call helpers the
// HTTP layer and the CLI use to resolve a device.
//
// Three contexts:
//   - StorageResolveContext: by uuid. On the first device() or sql() call it
//     leases a session from the Storage pool and loads the device; the lease
//     is held until the context is destroyed (one resolution). When storage
//     is unavailable, device() and sql() throw StorageUnavailable, so the
//     step that needed storage becomes an Error step while steps that need
//     none (env) still resolve. The failure is remembered: later steps fail
//     fast instead of waiting for the database again.
//   - PreparedResolveContext: a Device built by the caller and the caller's
//     session.
//   - TransactionResolveContext: the same inside the caller's open write
//     transaction (registration), guarding PostgreSQL's aborted
//     transactions.
//
// Each owns the StorageBrokerDirectory its brokers() returns
// (config_snapshot.h), which holds the state of the resolution's broker
// cache. A host that read config_version with the device hands it over with
// brokers().NoteConfigVersion() before running the chain.
//
// A context serves exactly one resolution (one Chain::Resolve call) on one
// thread; not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "engine/chain.h"
#include "storage/config_snapshot.h"
#include "storage/storage.h"
#include "switchboard/device.h"
#include "switchboard/resolver.h"

namespace switchboard {

// No device has this uuid (HTTP 404). Distinct from every other failure.
class DeviceNotFound : public std::runtime_error {
 public:
  explicit DeviceNotFound(const std::string& uuid)
      : std::runtime_error("no device with uuid '" + uuid + "'"), uuid_(uuid) {}
  const std::string& uuid() const { return uuid_; }

 private:
  std::string uuid_;
};

// The columns the config fetch reads for a device, in this order (before
// config_version): LoadDeviceAndKeyHash on a pooled session and
// DeviceReadPipeline on PostgreSQL both read exactly these.
inline constexpr char kFetchDeviceColumns[] =
    "id, device_name, device_type, fleet_id, region, mqtt_broker_id, api_key_hash, "
    "served_config_version, served_config_counter";

// What the server last handed the device (migration 007_served_config):
// the config fetch compares its answer with it and writes only on a change
// (RecordServedConfig, domain/device_reports.h).
struct ServedConfig {
  std::string version;                  // configVersion; empty: none recorded
  std::optional<std::int64_t> counter;  // the config_version it was resolved at
};

// Loads the device with this uuid; nullopt when there is none. On a pooled
// session the same statement reads config_version into `*config_version`
// (when not null; left alone otherwise), for the resolution's
// StorageBrokerDirectory::NoteConfigVersion. Throws soci::soci_error on a
// database failure.
std::optional<Device> LoadDeviceByUuid(soci::session& sql, const std::string& uuid,
                                       std::optional<std::int64_t>* config_version = nullptr);

// The same, and the stored API key hash into `*api_key_hash` (when not
// null; for verification only, never return it). On a pooled session one
// prepared statement reads the device, the hash and config_version: hand
// the version to the resolution's directory for one query in all for the
// whole config fetch. `*served` (when not null) receives what the device
// was last handed; on a session Storage does not pool it is left alone.
std::optional<Device> LoadDeviceAndKeyHash(soci::session& sql, const std::string& uuid,
                                           std::string* api_key_hash,
                                           std::optional<std::int64_t>* config_version = nullptr,
                                           ServedConfig* served = nullptr);

class StorageResolveContext : public ResolveContext {
 public:
  // `storage` and `log` must outlive the context.
  StorageResolveContext(Storage& storage, std::string uuid, Logger& log);
  // With the device already read (the config fetch on PostgreSQL reads it
  // through DeviceReadPipeline); sql() still leases on first use.
  StorageResolveContext(Storage& storage, Device device, Logger& log);

  // Throws StorageUnavailable, or DeviceNotFound when the uuid is unknown.
  const Device& device() override;
  // Reads throw StorageUnavailable like sql().
  StorageBrokerDirectory& brokers() override { return brokers_; }
  // Throws StorageUnavailable.
  soci::session& sql() override;
  Logger& log() override { return log_; }

  // After a resolution: true when storage said the uuid names no device.
  bool device_not_found() const { return not_found_; }
  // True when the device was loaded (storage answered and it exists).
  bool device_loaded() const { return device_.has_value(); }
  // True when storage could not be reached during this resolution.
  bool storage_failed() const { return !storage_error_.empty(); }

 private:
  Storage& storage_;
  const std::string uuid_;
  Logger& log_;
  std::optional<Storage::Lease> lease_;
  std::optional<Device> device_;
  std::string storage_error_;
  bool not_found_ = false;
  StorageBrokerDirectory brokers_{*this};
};

class PreparedResolveContext : public ResolveContext {
 public:
  // All three must outlive the context.
  PreparedResolveContext(const Device& device, soci::session& sql, Logger& log)
      : device_(device), sql_(sql), log_(log) {}
  const Device& device() override { return device_; }
  StorageBrokerDirectory& brokers() override { return brokers_; }
  soci::session& sql() override { return sql_; }
  Logger& log() override { return log_; }

 private:
  const Device& device_;
  soci::session& sql_;
  Logger& log_;
  StorageBrokerDirectory brokers_{*this};
};

// The ResolveContext for a chain run inside the caller's open write
// transaction. On PostgreSQL a failing statement of one step aborts the
// whole transaction (every later step and the COMMIT would fail). With
// `guard_steps` the context sets a savepoint before the first step reads
// and rolls back to it when a step left the transaction aborted (plugins
// only read). Without it no savepoint is set (one round trip less on every
// registration): Finish() then reports the abort, and the caller rolls back
// and runs the registration again with `guard_steps`. Finish() must be
// called after the chain returned. Not thread-safe: one resolution.
class TransactionResolveContext : public ResolveContext {
 public:
  // All three must outlive the context.
  TransactionResolveContext(const Device& device, soci::session& sql, Logger& log,
                            bool guard_steps);
  const Device& device() override { return device_; }
  // Broker reads go through sql(), so the savepoint guards them too.
  StorageBrokerDirectory& brokers() override { return brokers_; }
  soci::session& sql() override;
  Logger& log() override { return log_; }
  // True when the transaction is usable. False when a step aborted it and
  // there was no savepoint: the resolution must be discarded and the
  // transaction rolled back.
  [[nodiscard]] bool Finish();

 private:
  const Device& device_;
  soci::session& sql_;
  Logger& log_;
  const bool postgresql_;
  const bool guard_steps_;
  bool savepoint_ = false;
  StorageBrokerDirectory brokers_{*this};
};

// Resolves the device `uuid` with `chain`, reading storage lazily (see
// StorageResolveContext). Throws DeviceNotFound when storage says no device
// has this uuid (Chain::Resolve lets it through and stops), whatever the
// chain decided (when no step read storage, one
// query checks that the device exists; if storage is unreachable then, the
// chain's answer stands). Never throws for a step's failure: that is an
// Error step in the trace. Thread-safe (one context per call).
// The resolution's endpoint list is built (AddEndpoints, endpoint_list.h),
// ordered by `health` (nullptr: every broker's health unknown), which the
// steps' BrokerDirectory::Health() answers from too.
Resolution ResolveDevice(const Chain& chain, Storage& storage, const std::string& uuid, Logger& log,
                         const HealthSnapshot* health = nullptr);

}  // namespace switchboard
