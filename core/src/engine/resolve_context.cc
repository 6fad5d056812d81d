#include "engine/resolve_context.h"

#include <soci/soci.h>

#include "engine/endpoint_list.h"
#include "storage/config_snapshot.h"
#include "storage/libpq.h"
#include "storage/session_cache.h"

namespace switchboard {
namespace {

// The device by uuid with its API key hash, and in the same statement the
// current config_version (config_snapshot.h): the chain's broker and fleet
// reads then need no query of their own. Prepared once per pooled session.
// The uuid is not read back: the lookup is by equality.
struct DeviceByUuidSelect {
  explicit DeviceByUuidSelect(soci::session& sql)
      : st((sql.prepare << std::string("SELECT ") + kFetchDeviceColumns + ", " +
                               kConfigVersionColumn + " FROM devices WHERE uuid = :uuid",
            soci::into(id), soci::into(name), soci::into(type), soci::into(fleet_id, fleet_ind),
            soci::into(region, region_ind), soci::into(broker_id, broker_ind), soci::into(key_hash),
            soci::into(served_version, served_version_ind),
            soci::into(served_counter, served_counter_ind), soci::into(version, version_ind),
            soci::use(uuid))) {}
  std::string uuid, name, type, fleet_id, region, key_hash, served_version;
  long long id = 0, broker_id = 0, version = 0, served_counter = 0;
  soci::indicator fleet_ind{}, region_ind{}, broker_ind{}, version_ind{}, served_version_ind{},
      served_counter_ind{};
  soci::statement st;
};

}  // namespace

std::optional<Device> LoadDeviceAndKeyHash(soci::session& sql, const std::string& uuid,
                                           std::string* api_key_hash,
                                           std::optional<std::int64_t>* config_version,
                                           ServedConfig* served) {
  SessionCache* cache = SessionCacheFor(sql);
  if (cache == nullptr) {
    std::optional<Device> device = LoadDeviceByUuid(sql, uuid);
    if (device && api_key_hash != nullptr) {
      sql << "SELECT api_key_hash FROM devices WHERE uuid = :uuid", soci::into(*api_key_hash),
          soci::use(uuid);
    }
    return device;
  }
  auto& q = cache->Get<DeviceByUuidSelect>(sql);
  q.uuid = uuid;
  if (!q.st.execute(true)) return std::nullopt;
  std::optional<Device> device(std::in_place);
  device->id = q.id;
  device->uuid = uuid;
  device->device_name = q.name;
  device->device_type = q.type;
  if (q.fleet_ind == soci::i_ok) device->fleet_id = q.fleet_id;
  if (q.region_ind == soci::i_ok) device->region = q.region;
  if (q.broker_ind == soci::i_ok) device->mqtt_broker_id = q.broker_id;
  if (api_key_hash != nullptr) *api_key_hash = q.key_hash;
  if (served != nullptr) {
    served->version = q.served_version_ind == soci::i_ok ? q.served_version : std::string();
    served->counter.reset();
    if (q.served_counter_ind == soci::i_ok) served->counter = q.served_counter;
  }
  const bool has_version = q.version_ind == soci::i_ok;
  const std::int64_t version = q.version;
  FinishSingleRow(sql, q.st);
  if (has_version && config_version != nullptr) *config_version = version;
  return device;
}

std::optional<Device> LoadDeviceByUuid(soci::session& sql, const std::string& uuid,
                                       std::optional<std::int64_t>* config_version) {
  if (SessionCacheFor(sql) != nullptr) {
    return LoadDeviceAndKeyHash(sql, uuid, nullptr, config_version);
  }
  long long id = 0;
  long long broker_id = 0;
  Device device;
  soci::indicator fleet_ind{}, region_ind{}, broker_ind{};
  sql << "SELECT id, uuid, device_name, device_type, fleet_id, region, mqtt_broker_id "
         "FROM devices WHERE uuid = :uuid",
      soci::into(id), soci::into(device.uuid), soci::into(device.device_name),
      soci::into(device.device_type), soci::into(device.fleet_id, fleet_ind),
      soci::into(device.region, region_ind), soci::into(broker_id, broker_ind), soci::use(uuid);
  if (!sql.got_data()) return std::nullopt;
  device.id = id;
  if (fleet_ind != soci::i_ok) device.fleet_id.clear();
  if (region_ind != soci::i_ok) device.region.clear();
  if (broker_ind == soci::i_ok) device.mqtt_broker_id = broker_id;
  return device;
}

StorageResolveContext::StorageResolveContext(Storage& storage, std::string uuid, Logger& log)
    : storage_(storage), uuid_(std::move(uuid)), log_(log) {}

StorageResolveContext::StorageResolveContext(Storage& storage, Device device, Logger& log)
    : storage_(storage), uuid_(device.uuid), log_(log), device_(std::move(device)) {}

soci::session& StorageResolveContext::sql() {
  if (!storage_error_.empty()) throw StorageUnavailable(storage_error_);
  // A PostgreSQL connection dropped since the lease (or by an earlier step):
  // lease again, which reconnects.
  if (lease_ && IsConnectionFailure(lease_->get())) lease_.reset();
  if (!lease_) {
    try {
      lease_.emplace(storage_.Acquire());
    } catch (const StorageUnavailable& e) {
      storage_error_ = e.what();
      throw;
    }
  }
  return lease_->get();
}

const Device& StorageResolveContext::device() {
  if (device_) return *device_;
  if (not_found_) throw DeviceNotFound(uuid_);
  std::optional<Device> loaded;
  for (int attempt = 0;; ++attempt) {
    soci::session& session = sql();
    try {
      std::optional<std::int64_t> version;
      loaded = LoadDeviceByUuid(session, uuid_, &version);
      if (version) brokers_.NoteConfigVersion(session, *version);
      break;
    } catch (const soci::soci_error&) {
      if (!IsConnectionFailure(session)) throw;
      if (attempt > 0) {
        storage_error_ = "storage unavailable: database connection lost";
        throw StorageUnavailable(storage_error_);
      }
      // The connection dropped between lease and query: sql() reconnects.
    }
  }
  if (!loaded) {
    not_found_ = true;
    throw DeviceNotFound(uuid_);
  }
  device_ = std::move(loaded);
  return *device_;
}

Resolution ResolveDevice(const Chain& chain, Storage& storage, const std::string& uuid, Logger& log,
                         const HealthSnapshot* health) {
  static const HealthSnapshot kNone;
  if (health == nullptr) health = &kNone;
  StorageResolveContext context(storage, uuid, log);
  context.brokers().UseHealth(health);
  Resolution resolution = chain.Resolve(context);  // DeviceNotFound passes through
  AddEndpoints(resolution, context.brokers(), *health);
  if (!context.device_loaded() && !context.device_not_found() && !context.storage_failed()) {
    // No step read the device (e.g. env resolved first): an unknown uuid is
    // still a 404. If storage cannot say, the chain's answer stands.
    try {
      context.device();
    } catch (const DeviceNotFound&) {
    } catch (const StorageUnavailable& e) {
      log.Warn(std::string("cannot check that the device exists: ") + e.what());
    } catch (const soci::soci_error& e) {
      log.Warn("cannot check that the device exists: " + e.get_error_message());
    }
  }
  if (context.device_not_found()) throw DeviceNotFound(uuid);
  return resolution;
}

TransactionResolveContext::TransactionResolveContext(const Device& device, soci::session& sql,
                                                     Logger& log, bool guard_steps)
    : device_(device),
      sql_(sql),
      log_(log),
      postgresql_(IsPostgresql(sql)),
      guard_steps_(guard_steps) {}

soci::session& TransactionResolveContext::sql() {
  if (postgresql_ && guard_steps_) {
    if (!savepoint_) {
      sql_ << "SAVEPOINT switchboard_resolve";
      savepoint_ = true;
    } else if (TransactionAborted(sql_)) {
      sql_ << "ROLLBACK TO SAVEPOINT switchboard_resolve";
    }
  }
  return sql_;
}

bool TransactionResolveContext::Finish() {
  if (!TransactionAborted(sql_)) return true;
  if (!savepoint_) return false;
  sql_ << "ROLLBACK TO SAVEPOINT switchboard_resolve";
  return true;
}

}  // namespace switchboard
