// The rows one registration writes, inside the caller's write transaction
// (ProvisioningService::Register, provisioning.cc): the device, its MQTT
// user and ACL rows, and the count against the provisioning key.
//
// Every statement here is prepared once per pooled session
// (session_cache.h): on SQLite a prepare inside the write lock was most of a
// registration's time under it; on PostgreSQL a prepared-then-deallocated
// statement costs three round trips. On PostgreSQL the device, its user and
// its ACL rows are one statement, and the key count travels with the COMMIT:
// four round trips per new device in all (docs/domain.md, and
// docs/benchmarks.md for why round trips were the limit).
//
// Functions throw soci::soci_error on a database failure.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace soci {
class session;
}

namespace switchboard {

class Logger;            // switchboard/logger.h
class WriteTransaction;  // storage.h

struct AclRow {
  std::string topic;
  std::string access;  // write | read | readwrite
};

// publish → write, subscribe → read, both → readwrite; template order.
std::vector<AclRow> AclRows(const std::vector<std::string>& publish,
                            const std::vector<std::string>& subscribe);

// The new device's row and what goes with it. Empty optional strings are
// stored as NULL.
struct NewDeviceRows {
  std::string uuid, device_name, device_type, fleet_id, api_key_hash;
  std::optional<std::string> region, mac_address, os_version, agent_version;
  long long provisioned_by_key_id = 0;
  std::string now;  // created_at and updated_at of every row
  std::string username, password_hash;
  std::vector<AclRow> acls;
};

// Inserts the device, its MQTT user (or gives an existing user row of that
// name the new password) and its ACL rows. Returns the new device's id, or
// nullopt when a device with this uuid exists: then nothing was written.
// On a pooled PostgreSQL session this is one statement, which also reads
// config_version into `*config_version` (when not null; left alone
// otherwise) for the resolution that follows
// (StorageBrokerDirectory::NoteConfigVersion, config_snapshot.h).
std::optional<long long> InsertDeviceWithAccess(
    soci::session& sql, const NewDeviceRows& rows,
    std::optional<std::int64_t>* config_version = nullptr);

// The MQTT user and ACL rows of a device that already exists (an idempotent
// retry): the user gets the new password, ACL rows already present stay.
void UpsertDeviceAccess(soci::session& sql, long long device_id, const NewDeviceRows& rows);

// Counts one device against the key and commits `tx`. The count is atomic:
// the limits are re-checked under the row lock the UPDATE takes, so
// concurrent registrations can never push devices_provisioned past
// max_devices. False when the key can register no more devices (or was
// revoked or expired meanwhile): then nothing is committed and `tx` is left
// for the caller to roll back.
//
// On a pooled PostgreSQL session the UPDATE and the COMMIT go in one round
// trip (libpq pipeline mode): every registration with a key queues on that
// key's row lock from its UPDATE to its COMMIT, and a round trip in between
// (plus the wait for a CPU to send the COMMIT) made that queue the limit of
// registration throughput (docs/benchmarks.md).
bool CountAgainstKeyAndCommit(soci::session& sql, WriteTransaction& tx, long long key_id,
                              const std::string& now);

// Why: PostgreSQL plans the foreign-key check of every new ACL row against
// mqtt_users once per connection and keeps that plan. Planned while the
// table was empty (a fresh database), it is a sequential scan, and it stays
// one until autovacuum first analyses the table, up to a minute later:
// registrations ran at a third to a half of their speed until then
// (docs/benchmarks.md). ANALYZE makes every connection plan again.
//
// Counts new devices; the registration that brings the count to `after`
// runs `ANALYZE mqtt_users, mqtt_acls` on its session (after its commit),
// once per instance: that one request takes some milliseconds longer. On
// SQLite it does nothing. A failure (e.g. the database user does not own
// the tables) is logged, never thrown.
class AccessTableStatistics {
 public:
  static constexpr std::int64_t kDefaultAfter = 1000;
  explicit AccessTableStatistics(std::int64_t after = kDefaultAfter) : after_(after) {}

  void NoteNewDevice(soci::session& sql, Logger& log);

 private:
  const std::int64_t after_;
  std::atomic<std::int64_t> new_devices_{0};
};

}  // namespace switchboard
