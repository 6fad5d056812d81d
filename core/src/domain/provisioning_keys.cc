#include "domain/provisioning_keys.h"

#include <soci/soci.h>

#include <chrono>
#include <climits>

#include "domain/domain_errors.h"
#include "domain/fleets.h"
#include "domain/validation.h"
#include "storage/config_snapshot.h"
#include "storage/session_cache.h"
#include "storage/sql_errors.h"
#include "util/crypto.h"
#include "util/time.h"

namespace switchboard {
namespace {

constexpr char kSelectKeyColumns[] =
    "SELECT id, key_hash, fleet_id, description, max_devices, devices_provisioned, expires_at, "
    "is_active, created_at, last_used_at";
constexpr char kFromKeys[] = " FROM provisioning_keys ";

struct KeyRow {
  long long id = 0, max_devices = 0, provisioned = 0;
  int is_active = 1;
  std::string key_hash, fleet_id, description, expires_at, created_at, last_used_at;
  soci::indicator description_ind{}, max_ind{}, expires_ind{}, last_used_ind{};

  void Bind(soci::statement& st) {
    st.exchange(soci::into(id));
    st.exchange(soci::into(key_hash));
    st.exchange(soci::into(fleet_id));
    st.exchange(soci::into(description, description_ind));
    st.exchange(soci::into(max_devices, max_ind));
    st.exchange(soci::into(provisioned));
    st.exchange(soci::into(expires_at, expires_ind));
    st.exchange(soci::into(is_active));
    st.exchange(soci::into(created_at));
    st.exchange(soci::into(last_used_at, last_used_ind));
  }

  ProvisioningKeyInfo ToInfo() const {
    ProvisioningKeyInfo k;
    k.id = id;
    k.fleet_id = fleet_id;
    k.description = description_ind == soci::i_ok ? description : "";
    if (max_ind == soci::i_ok) k.max_devices = max_devices;
    k.devices_provisioned = provisioned;
    k.expires_at = expires_ind == soci::i_ok ? expires_at : "";
    k.is_active = is_active != 0;
    k.created_at = created_at;
    k.last_used_at = last_used_ind == soci::i_ok ? last_used_at : "";
    return k;
  }
};

// Runs kSelectKeyColumns + kFromKeys + tail with at most one bound parameter (text or integer).
template <typename Param>
std::vector<std::pair<ProvisioningKeyInfo, std::string>> SelectKeys(soci::session& sql,
                                                                    const std::string& tail,
                                                                    const Param* param) {
  KeyRow row;
  soci::statement st(sql);
  row.Bind(st);
  if (param != nullptr) st.exchange(soci::use(*param));
  st.alloc();
  st.prepare(kSelectKeyColumns + (kFromKeys + tail));
  st.define_and_bind();
  std::vector<std::pair<ProvisioningKeyInfo, std::string>> out;
  if (st.execute(true)) {
    do {
      out.emplace_back(row.ToInfo(), row.key_hash);
    } while (st.fetch());
  }
  return out;
}

// FindProvisioningKeyByHash's SELECT, prepared once per pooled session. It
// also reads config_version, so that a registration can make the broker
// cache current before its write transaction (config_snapshot.h,
// PrimeConfigSnapshot) without a round trip of its own.
struct KeyByHashSelect {
  explicit KeyByHashSelect(soci::session& sql) : st(sql) {
    row.Bind(st);
    st.exchange(soci::into(version, version_ind));
    st.exchange(soci::use(hash));
    st.alloc();
    st.prepare(std::string(kSelectKeyColumns) + ", " + kConfigVersionColumn + kFromKeys +
               "WHERE key_hash = :hash");
    st.define_and_bind();
  }
  KeyRow row;
  long long version = 0;
  soci::indicator version_ind = soci::i_null;
  std::string hash;
  soci::statement st;
};

}  // namespace

std::string ProvisioningKeyRefusal(const ProvisioningKeyInfo& key, const std::string& now,
                                   bool new_device) {
  if (!key.is_active) return "provisioning key revoked";
  if (!key.expires_at.empty()) {
    // Fail closed: an expiry that cannot be read (a row written by hand or
    // by another tool) refuses the key rather than letting it never expire.
    const auto expires = ParseUtcIso8601(key.expires_at);
    const auto current = ParseUtcIso8601(now);
    if (!expires || !current) return "provisioning key has an unreadable expiry; refused";
    if (*expires <= *current) return "provisioning key expired at " + key.expires_at;
  }
  if (new_device && key.max_devices && key.devices_provisioned >= *key.max_devices) {
    return "provisioning key exhausted (" + std::to_string(key.devices_provisioned) + " of " +
           std::to_string(*key.max_devices) + " devices provisioned)";
  }
  return "";
}

std::optional<ProvisioningKeyInfo> FindProvisioningKeyByHash(soci::session& sql,
                                                             const std::string& key_hash,
                                                             std::int64_t* config_version) {
  if (SessionCache* cache = SessionCacheFor(sql)) {
    auto& q = cache->Get<KeyByHashSelect>(sql);
    q.hash = key_hash;
    if (!q.st.execute(true)) return std::nullopt;
    ProvisioningKeyInfo info = q.row.ToInfo();
    const bool same = ConstantTimeEquals(q.row.key_hash, key_hash);
    if (config_version != nullptr && q.version_ind == soci::i_ok) *config_version = q.version;
    FinishSingleRow(sql, q.st);
    if (!same) return std::nullopt;
    return info;
  }
  auto rows = SelectKeys(sql, "WHERE key_hash = :hash", &key_hash);
  // The index found it by equality; the constant-time comparison keeps the
  // final check free of timing differences whatever the database does.
  if (rows.empty() || !ConstantTimeEquals(rows.front().second, key_hash)) return std::nullopt;
  return rows.front().first;
}

CreatedProvisioningKey ProvisioningKeys::Create(const ProvisioningKeyRequest& request) {
  ValidateFleetId(request.fleet_id, "fleetId");
  if (request.max_devices) CheckRange("maxDevices", *request.max_devices, 1, INT_MAX);
  if (request.expires_in_days) CheckRange("expiresInDays", *request.expires_in_days, 1, 36500);
  if (request.description) {
    CheckText("description", *request.description, 0, 1000, TextKind::kMultiLine);
  }

  CreatedProvisioningKey out;
  out.key = RandomToken(kProvisioningKeyBytes);
  const std::string hash = Sha256Hex(out.key);
  const auto now_point = std::chrono::system_clock::now();
  const std::string now = UtcIso8601(now_point);
  std::string expires_at;
  soci::indicator expires_ind = soci::i_null;
  if (request.expires_in_days) {
    expires_at = UtcIso8601(now_point + std::chrono::hours(24) * *request.expires_in_days);
    expires_ind = soci::i_ok;
  }
  long long max_devices = request.max_devices.value_or(0);
  soci::indicator max_ind = request.max_devices ? soci::i_ok : soci::i_null;
  std::string description = request.description.value_or("");
  soci::indicator description_ind = description.empty() ? soci::i_null : soci::i_ok;

  Storage::Lease lease = storage_.Acquire();
  soci::session& sql = *lease;
  try {
    WriteTransaction tx(storage_, sql);
    out.fleet_created = EnsureFleetExists(sql, request.fleet_id, now);
    long long id = 0;
    sql << "INSERT INTO provisioning_keys (key_hash, fleet_id, description, max_devices, "
           "expires_at, created_at) VALUES (:hash, :fleet, :description, :max, :expires, :now) "
           "RETURNING id",
        soci::use(hash), soci::use(request.fleet_id), soci::use(description, description_ind),
        soci::use(max_devices, max_ind), soci::use(expires_at, expires_ind), soci::use(now),
        soci::into(id);
    auto rows = SelectKeys(sql, "WHERE id = :id", &id);
    tx.Commit();
    out.info = rows.front().first;
    return out;
  } catch (const soci::soci_error&) {
    RethrowStorageFailure(sql);
  }
}

std::vector<ProvisioningKeyInfo> ProvisioningKeys::List(
    const std::optional<std::string>& fleet_id) {
  std::vector<ProvisioningKeyInfo> out;
  ReadWithRetry(storage_, [&](soci::session& sql) {
    out.clear();
    auto rows = fleet_id ? SelectKeys(sql, "WHERE fleet_id = :fleet ORDER BY id", &*fleet_id)
                         : SelectKeys<std::string>(sql, "ORDER BY id", nullptr);
    for (auto& row : rows) out.push_back(std::move(row.first));  // the hash stays here
  });
  return out;
}

void ProvisioningKeys::Revoke(std::int64_t id) {
  const long long key = id;
  Storage::Lease lease = storage_.Acquire();
  soci::session& sql = *lease;
  try {
    WriteTransaction tx(storage_, sql);
    soci::statement st =
        (sql.prepare << "UPDATE provisioning_keys SET is_active = 0 WHERE id = :id",
         soci::use(key));
    st.execute(true);
    if (st.get_affected_rows() == 0) {
      throw NotFound("no provisioning key with id " + std::to_string(id));
    }
    tx.Commit();
  } catch (const soci::soci_error&) {
    RethrowStorageFailure(sql);
  }
}

std::optional<ProvisioningKeyInfo> ProvisioningKeys::Lookup(std::string_view presented) {
  if (presented.empty()) return std::nullopt;
  const std::string hash = Sha256Hex(presented);
  std::optional<ProvisioningKeyInfo> out;
  ReadWithRetry(storage_, [&](soci::session& sql) { out = FindProvisioningKeyByHash(sql, hash); });
  return out;
}

}  // namespace switchboard
