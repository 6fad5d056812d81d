// Brokers: the operator's CRUD on `mqtt_broker_config`
// (`/api/v1/mqtt/brokers`, docs/api.md), as plain structs; the HTTP layer
// maps them to JSON.
//
// Thread-safe: every call leases its own session from the Storage pool.
// Errors (domain_errors.h): ValidationError (field named as in the JSON, i.e.
// the column name), NotFound, Conflict, and StorageUnavailable.
//
// Secrets: a broker row holds `password`, `client_key` and `extra_config`,
// which must never reach a response or a log. Everything this class returns
// is a PublicBroker, which has no field for them (only has_password,
// has_client_key, has_extra_config). The one exception is
// LoadWithSecretsForProbe(), for the server-side connection test.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/ca_bundle.h"
#include "storage/storage.h"
#include "switchboard/broker.h"

namespace switchboard {

// Every writable column of mqtt_broker_config. A field left std::nullopt is
// not written: on Create it takes the database default, on Update it keeps
// its value. For the nullable text columns (description, path, username,
// password, ca_cert, client_cert, client_key, client_id_prefix, region,
// extra_config) an empty string stores NULL: that is how a client clears
// them (the HTTP layer maps JSON null to "").
//
// Integers are int64 so an out-of-range value from a client reaches
// validation (and a 400) instead of overflowing on the way.
//
// ForEachBrokerInputField() below is the one list of these fields that code
// walks (the SQL writes, the API's JSON parsing); keep it in step with the
// members.
struct BrokerInput {
  std::optional<std::string> name;  // REQUIRED on Create; 1..255 characters, unique
  std::optional<std::string> description;
  std::optional<std::string> protocol;     // mqtt | mqtts | ws | wss. Default: mqtt
  std::optional<std::string> host;         // REQUIRED on Create; 1..255 characters
  std::optional<std::int64_t> port;        // 1..65535. Default: 1883
  std::optional<std::string> path;         // ws/wss path, e.g. "/mqtt"
  std::optional<std::string> username;     // server-side credential
  std::optional<std::string> password;     // server-side credential, secret
  std::optional<bool> use_tls;             // Default: false
  std::optional<std::string> ca_cert;      // PEM
  std::optional<std::string> client_cert;  // PEM
  std::optional<std::string> client_key;   // PEM, secret
  std::optional<bool> verify_certificate;  // Default: true
  std::optional<std::string> client_id_prefix;
  std::optional<std::int64_t> keep_alive;        // seconds, > 0. Default: 60
  std::optional<bool> clean_session;             // Default: true
  std::optional<std::int64_t> reconnect_period;  // ms, >= 0. Default: 1000
  std::optional<std::int64_t> connect_timeout;   // ms, > 0. Default: 30000
  std::optional<bool> is_active;                 // Default: true
  std::optional<bool> is_default;                // Default: false; true clears the old default
  std::optional<std::string> broker_type;        // local | cloud | edge | test. Default: local
  std::optional<std::string> region;
  std::optional<std::int64_t> weight;       // > 0. Default: 100
  std::optional<std::string> extra_config;  // JSON text, secret
  // Failover backups, in order (broker.h). Each id must name another
  // existing broker, at most once; at most kMaxBackupBrokers. Empty clears.
  std::optional<std::vector<std::int64_t>> backup_broker_ids;
};

inline constexpr std::size_t kMaxBackupBrokers = 16;

// Whether "" (and JSON null) clears a text field, i.e. stores NULL.
enum class Clearable { kNo, kYes };

// Calls `visit(column, member, clearable)` for every field of `input`
// (BrokerInput or const BrokerInput), in table order; `column` is also the
// field's name in the API's JSON. The one list of the broker's writable
// fields: AssignmentsFor (brokers.cc) writes what it visits, ParseBrokerInput
// (server/api/routes_brokers.cc) reads what it visits. When adding a column,
// add it here and to BrokerInput; the other layers are listed in
// core/src/storage/broker_rows.cc (kColumns).
template <typename Input, typename Visit>
void ForEachBrokerInputField(Input& input, Visit&& visit) {
  visit("name", input.name, Clearable::kNo);
  visit("description", input.description, Clearable::kYes);
  visit("protocol", input.protocol, Clearable::kNo);
  visit("host", input.host, Clearable::kNo);
  visit("port", input.port, Clearable::kNo);
  visit("path", input.path, Clearable::kYes);
  visit("username", input.username, Clearable::kYes);
  visit("password", input.password, Clearable::kYes);
  visit("use_tls", input.use_tls, Clearable::kNo);
  visit("ca_cert", input.ca_cert, Clearable::kYes);
  visit("client_cert", input.client_cert, Clearable::kYes);
  visit("client_key", input.client_key, Clearable::kYes);
  visit("verify_certificate", input.verify_certificate, Clearable::kNo);
  visit("client_id_prefix", input.client_id_prefix, Clearable::kYes);
  visit("keep_alive", input.keep_alive, Clearable::kNo);
  visit("clean_session", input.clean_session, Clearable::kNo);
  visit("reconnect_period", input.reconnect_period, Clearable::kNo);
  visit("connect_timeout", input.connect_timeout, Clearable::kNo);
  visit("is_active", input.is_active, Clearable::kNo);
  visit("is_default", input.is_default, Clearable::kNo);
  visit("broker_type", input.broker_type, Clearable::kNo);
  visit("region", input.region, Clearable::kYes);
  visit("weight", input.weight, Clearable::kNo);
  visit("extra_config", input.extra_config, Clearable::kYes);
  visit("backup_broker_ids", input.backup_broker_ids, Clearable::kYes);
}

// What operators see of a broker: every column except the secrets. Empty
// strings stand for NULL (the HTTP layer may print null). A copy of the
// column list by design (a whitelist that cannot hold a secret): filled by
// ToPublicBroker and LoadPublic (brokers.cc), written by WriteBroker
// (server/api/routes_brokers.cc); tests/integration/broker_fields_test.cc
// checks they agree with the columns.
struct PublicBroker {
  std::int64_t id = 0;
  std::string name;
  std::string description;
  std::string protocol;
  std::string host;
  int port = 0;
  std::string path;
  std::string username;
  bool use_tls = false;
  std::string ca_cert;
  std::string client_cert;
  bool verify_certificate = true;
  std::string client_id_prefix;
  int keep_alive = 60;
  bool clean_session = true;
  int reconnect_period = 1000;
  int connect_timeout = 30000;
  bool is_active = true;
  bool is_default = false;
  std::string broker_type;
  std::string region;
  int weight = 100;
  bool has_password = false;
  bool has_client_key = false;
  bool has_extra_config = false;
  std::string created_at;
  std::string updated_at;
  std::string last_connected_at;  // empty: never
  std::vector<std::int64_t> backup_broker_ids;
  // Derived from ca_cert on every read (domain/ca_bundle.h), not columns:
  // the certificates in the bundle (0 without one, or for a stored value
  // that is not a readable bundle), the earliest notAfter ("" then) and
  // whether that is within kCaExpiryWarning (30 days) or past.
  int ca_certs = 0;
  std::string ca_cert_expires_at;
  bool ca_cert_expiring_soon = false;
};

// The public view of a row read with broker_rows.h (drops the secrets).
PublicBroker ToPublicBroker(const BrokerConfig& broker);

// One line of `GET /api/v1/mqtt/brokers/summary`.
struct BrokerUsage {
  std::int64_t id = 0;
  std::string name;
  bool is_active = true;
  bool is_default = false;
  std::int64_t device_count = 0;  // devices explicitly assigned (devices.mqtt_broker_id)
  std::int64_t fleet_count = 0;   // fleets assigned (fleets.mqtt_broker_id)
  // Devices whose last report (device_reports.h) says they are connected to
  // this broker.
  std::int64_t connected_count = 0;
  // Of those, the devices in sync (DeviceInSync, device_reports.h).
  std::int64_t in_sync_count = 0;
  // As PublicBroker's: derived from ca_cert.
  std::string ca_cert_expires_at;
  bool ca_cert_expiring_soon = false;
};

enum class BrokerValidation {
  kCreate,  // name and host are required
  kUpdate,  // every field optional
};

// Checks `input` against exactly the database's constraints, plus what a
// usable URL needs (host characters; path without spaces) and extra_config
// being valid JSON. Does not check name uniqueness (needs the database; the
// writes below answer Conflict). Throws ValidationError naming the first bad
// field.
void ValidateBrokerInput(const BrokerInput& input, BrokerValidation mode);

class Brokers {
 public:
  // `storage` must outlive this object.
  explicit Brokers(Storage& storage) : storage_(storage) {}

  // Inserts a broker. is_default = true clears the previous default in the
  // same transaction. Throws ValidationError (also for a backup id that
  // names no broker), Conflict (name taken).
  PublicBroker Create(const BrokerInput& input);

  // Throws NotFound.
  PublicBroker Get(std::int64_t id);

  // Every broker, ordered by id.
  std::vector<PublicBroker> List();

  // Partial update: only the fields set in `input` change; updated_at is
  // refreshed. is_default = true clears the previous default in the same
  // transaction. An update that changes host, port or protocol, or turns
  // use_tls or verify_certificate off, without a password in the same
  // input drops the stored password (the connection test would otherwise
  // send it wherever the update points). Throws ValidationError (also for a
  // backup id that names no broker, or this broker itself), NotFound,
  // Conflict (name taken).
  PublicBroker Update(std::int64_t id, const BrokerInput& input);

  // Deletes an unused broker, and removes it from every other broker's
  // backup_broker_ids in the same transaction (being a backup does not
  // stop a delete). Throws NotFound, or Conflict naming how many devices
  // and fleets still use it (reassign them first).
  void Delete(std::int64_t id);

  // Each broker with how many devices and fleets are assigned to it,
  // ordered by id.
  std::vector<BrokerUsage> Summary();

  // Every broker whose stored ca_cert is a readable bundle, by name, ordered
  // by id (for switchboard_broker_ca_expiry_seconds).
  std::vector<std::pair<std::string, CaBundleInfo>> CaBundles();

  // The full row, secrets included, for the server-side connection test
  // (`POST /brokers/{id}/test`) only. Never serialise or log the result.
  // Throws NotFound.
  BrokerConfig LoadWithSecretsForProbe(std::int64_t id);

 private:
  Storage& storage_;
};

}  // namespace switchboard
