#include "health/health_store.h"

#include <soci/soci.h>
#include <unistd.h>

#include "storage/sql_errors.h"
#include "util/crypto.h"

namespace switchboard {
namespace {

// A nullable text column read into `out` ("" for NULL).
struct NullableText {
  std::string value;
  soci::indicator ind = soci::i_null;
  std::string Get() const { return ind == soci::i_ok ? value : std::string(); }
};

// Brokers the monitor probes: active ones the probe can reach (it has no
// WebSocket transport, probe/broker_probe.h, so ws/wss brokers stay
// unknown rather than being reported down).
#define kProbedBrokers "b.is_active = 1 AND b.protocol NOT IN ('ws', 'wss')"

// The row's columns as the snapshot and the API read them.
constexpr char kHealthColumns[] =
    "h.broker_id, b.name, h.state, h.since, h.last_checked_at, h.last_ok_at, h.latency_ms, "
    "h.last_error, h.checked_by";

struct HealthRow {
  long long id = 0;
  std::string name;
  std::string state;
  NullableText since, last_checked_at, last_ok_at, last_error, checked_by;
  long long latency = 0;
  soci::indicator latency_ind = soci::i_null;

  void Bind(soci::statement& st) {
    st.exchange(soci::into(id));
    st.exchange(soci::into(name));
    st.exchange(soci::into(state));
    st.exchange(soci::into(since.value, since.ind));
    st.exchange(soci::into(last_checked_at.value, last_checked_at.ind));
    st.exchange(soci::into(last_ok_at.value, last_ok_at.ind));
    st.exchange(soci::into(latency, latency_ind));
    st.exchange(soci::into(last_error.value, last_error.ind));
    st.exchange(soci::into(checked_by.value, checked_by.ind));
  }

  NamedBrokerHealth Get() const {
    NamedBrokerHealth out;
    out.broker_id = id;
    out.name = name;
    out.health.state = HealthStateFromName(state);
    out.health.since = since.Get();
    out.health.last_checked_at = last_checked_at.Get();
    out.health.last_ok_at = last_ok_at.Get();
    if (latency_ind == soci::i_ok) out.health.latency_ms = latency;
    out.health.last_error = last_error.Get();
    out.checked_by = checked_by.Get();
    return out;
  }
};

std::vector<NamedBrokerHealth> SelectHealth(soci::session& sql, const std::string& where,
                                            long long* id_param) {
  std::vector<NamedBrokerHealth> out;
  HealthRow row;
  soci::statement st(sql);
  row.Bind(st);
  if (id_param != nullptr) st.exchange(soci::use(*id_param));
  st.alloc();
  st.prepare(std::string("SELECT ") + kHealthColumns +
             " FROM broker_health h JOIN mqtt_broker_config b ON b.id = h.broker_id " + where +
             " ORDER BY h.broker_id");
  st.define_and_bind();
  if (st.execute(true)) {
    do {
      out.push_back(row.Get());
    } while (st.fetch());
  }
  return out;
}

// Due brokers whose lease is free or expired at `now`, the longest-due
// first; `locking` is appended to the SELECT.
std::vector<long long> SelectDue(soci::session& sql, const std::string& now, int limit,
                                 const char* locking) {
  long long id = 0;
  const std::string now_due = now;
  const std::string now_lease = now;
  const long long max_rows = limit;
  soci::statement st =
      (sql.prepare << "SELECT h.broker_id FROM broker_health h "
                      "JOIN mqtt_broker_config b ON b.id = h.broker_id "
                      "WHERE " kProbedBrokers
                      " AND h.next_check_at <= :due "
                      "AND (h.lease_expires_at IS NULL OR h.lease_expires_at <= :lease) "
                      "ORDER BY h.next_check_at, h.broker_id LIMIT :n" +
                          std::string(locking),
       soci::into(id), soci::use(now_due), soci::use(now_lease), soci::use(max_rows));
  st.execute();
  std::vector<long long> out;
  while (st.fetch()) out.push_back(id);
  return out;
}

}  // namespace

HealthStore::HealthStore(Storage& storage, std::string instance)
    : storage_(storage), instance_(std::move(instance)) {}

void HealthStore::AddMissingRows(const std::string& now) {
  Storage::Lease lease = storage_.Acquire();
  soci::session& sql = *lease;
  try {
    // ON CONFLICT: another instance may add the same row at the same time.
    // (SQLite needs the WHERE to parse an upsert after a SELECT.)
    sql << "INSERT INTO broker_health (broker_id, next_check_at) "
           "SELECT b.id, :now FROM mqtt_broker_config b WHERE " kProbedBrokers
           " AND NOT EXISTS "
           "(SELECT 1 FROM broker_health h WHERE h.broker_id = b.id) "
           "ON CONFLICT (broker_id) DO NOTHING",
        soci::use(now);
  } catch (const soci::soci_error&) {
    RethrowStorageFailure(sql);
  }
}

std::vector<std::int64_t> HealthStore::ClaimDue(const std::string& now,
                                                const std::string& lease_until, int limit) {
  std::vector<std::int64_t> claimed;
  if (limit <= 0) return claimed;
  Storage::Lease lease = storage_.Acquire();
  soci::session& sql = *lease;
  try {
    // Most ticks find nothing due: look first without a write transaction,
    // so an idle monitor never takes SQLite's write lock.
    if (SelectDue(sql, now, limit, "").empty()) return claimed;
    WriteTransaction tx(storage_, sql);
    const std::vector<long long> candidates =
        SelectDue(sql, now, limit,
                  storage_.dialect() == Dialect::kPostgresql ? " FOR UPDATE OF h SKIP LOCKED" : "");
    for (long long candidate : candidates) {
      // The lease condition again: on PostgreSQL the row lock makes it
      // true already; it keeps the write safe whatever the isolation.
      soci::statement update =
          (sql.prepare << "UPDATE broker_health SET lease_owner = :owner, "
                          "lease_expires_at = :until WHERE broker_id = :id AND "
                          "(lease_expires_at IS NULL OR lease_expires_at <= :now)",
           soci::use(instance_), soci::use(lease_until), soci::use(candidate), soci::use(now));
      update.execute(true);
      if (update.get_affected_rows() == 1) claimed.push_back(candidate);
    }
    tx.Commit();
  } catch (const soci::soci_error&) {
    RethrowStorageFailure(sql);
  }
  return claimed;
}

std::optional<RecordedProbe> HealthStore::Record(std::int64_t broker_id, const HealthCheck& check,
                                                 const HealthThresholds& thresholds,
                                                 const std::string& next_check_at) {
  const long long id = broker_id;
  Storage::Lease lease = storage_.Acquire();
  soci::session& sql = *lease;
  try {
    WriteTransaction tx(storage_, sql);
    std::string state;
    int successes = 0;
    int failures = 0;
    NullableText since, owner, last_ok, last_error;
    long long latency = 0;
    soci::indicator latency_ind = soci::i_null;
    std::string name;
    const bool postgres = storage_.dialect() == Dialect::kPostgresql;
    sql << "SELECT h.state, h.success_streak, h.failure_streak, h.since, h.lease_owner, "
           "h.last_ok_at, h.latency_ms, h.last_error, b.name "
           "FROM broker_health h JOIN mqtt_broker_config b ON b.id = h.broker_id "
           "WHERE h.broker_id = :id" +
               std::string(postgres ? " FOR UPDATE OF h" : ""),
        soci::use(id), soci::into(state), soci::into(successes), soci::into(failures),
        soci::into(since.value, since.ind), soci::into(owner.value, owner.ind),
        soci::into(last_ok.value, last_ok.ind), soci::into(latency, latency_ind),
        soci::into(last_error.value, last_error.ind), soci::into(name);
    if (!sql.got_data() || owner.Get() != instance_) {
      tx.Rollback();
      return std::nullopt;
    }
    RecordedProbe out;
    out.broker_name = name;
    out.before = HealthStateFromName(state);
    out.after = ApplyProbeOutcome({out.before, successes, failures}, check.ok, thresholds);

    BrokerHealth& h = out.health;
    h.state = out.after.state;
    h.since = out.after.state != out.before ? check.checked_at : since.Get();
    h.last_checked_at = check.checked_at;
    h.last_ok_at = check.ok ? check.checked_at : last_ok.Get();
    if (check.ok) {
      h.latency_ms = check.latency_ms;
    } else if (latency_ind == soci::i_ok) {
      h.latency_ms = latency;
    }
    h.last_error = check.ok ? last_error.Get() : check.error;

    const std::string state_name = HealthStateName(h.state);
    const long long new_latency = h.latency_ms.value_or(0);
    soci::indicator new_latency_ind = h.latency_ms ? soci::i_ok : soci::i_null;
    soci::indicator since_ind = h.since.empty() ? soci::i_null : soci::i_ok;
    soci::indicator ok_ind = h.last_ok_at.empty() ? soci::i_null : soci::i_ok;
    soci::indicator error_ind = h.last_error.empty() ? soci::i_null : soci::i_ok;
    sql << "UPDATE broker_health SET state = :state, success_streak = :s, failure_streak = :f, "
           "since = :since, last_checked_at = :checked, last_ok_at = :ok_at, "
           "latency_ms = :latency, last_error = :error, checked_by = :by, "
           "next_check_at = :next, lease_owner = NULL, lease_expires_at = NULL "
           "WHERE broker_id = :id",
        soci::use(state_name), soci::use(out.after.success_streak),
        soci::use(out.after.failure_streak), soci::use(h.since, since_ind),
        soci::use(h.last_checked_at), soci::use(h.last_ok_at, ok_ind),
        soci::use(new_latency, new_latency_ind), soci::use(h.last_error, error_ind),
        soci::use(check.checked_by), soci::use(next_check_at), soci::use(id);

    const int ok_flag = check.ok ? 1 : 0;
    const long long check_latency = check.latency_ms;
    soci::indicator check_error_ind = check.error.empty() ? soci::i_null : soci::i_ok;
    sql << "INSERT INTO broker_health_checks "
           "(broker_id, checked_at, ok, stage, latency_ms, error, checked_by) "
           "VALUES (:id, :at, :ok, :stage, :latency, :error, :by)",
        soci::use(id), soci::use(check.checked_at), soci::use(ok_flag), soci::use(check.stage),
        soci::use(check_latency), soci::use(check.error, check_error_ind),
        soci::use(check.checked_by);
    // Keep the newest kHealthChecksKept: delete from the first one past
    // them (no such row: the subquery is NULL and nothing goes).
    const long long offset = kHealthChecksKept;
    sql << "DELETE FROM broker_health_checks WHERE broker_id = :id AND id <= "
           "(SELECT c.id FROM broker_health_checks c WHERE c.broker_id = :id2 "
           "ORDER BY c.id DESC LIMIT 1 OFFSET :offset)",
        soci::use(id), soci::use(id), soci::use(offset);
    tx.Commit();
    return out;
  } catch (const soci::soci_error&) {
    RethrowStorageFailure(sql);
  }
}

std::vector<NamedBrokerHealth> HealthStore::LoadActive() {
  std::vector<NamedBrokerHealth> out;
  ReadWithRetry(storage_, [&](soci::session& sql) {
    out = SelectHealth(sql, "WHERE " kProbedBrokers, nullptr);
  });
  return out;
}

std::optional<NamedBrokerHealth> HealthStore::Load(std::int64_t broker_id) {
  long long id = broker_id;
  std::vector<NamedBrokerHealth> rows;
  ReadWithRetry(storage_, [&](soci::session& sql) {
    rows = SelectHealth(sql, "WHERE h.broker_id = :id", &id);
  });
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

std::vector<HealthCheck> HealthStore::RecentChecks(std::int64_t broker_id, int limit) {
  std::vector<HealthCheck> out;
  const long long id = broker_id;
  const long long max_rows = limit;
  ReadWithRetry(storage_, [&](soci::session& sql) {
    out.clear();
    HealthCheck row;
    int ok = 0;
    long long latency = 0;
    NullableText error;
    soci::statement st =
        (sql.prepare << "SELECT checked_at, ok, stage, latency_ms, error, checked_by "
                        "FROM broker_health_checks WHERE broker_id = :id "
                        "ORDER BY id DESC LIMIT :n",
         soci::into(row.checked_at), soci::into(ok), soci::into(row.stage), soci::into(latency),
         soci::into(error.value, error.ind), soci::into(row.checked_by), soci::use(id),
         soci::use(max_rows));
    st.execute();
    while (st.fetch()) {
      row.ok = ok != 0;
      row.latency_ms = latency;
      row.error = error.Get();
      out.push_back(row);
    }
  });
  return out;
}

std::string HealthInstanceName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host[0] != '\0' ? host : "localhost") + "/" + std::to_string(getpid()) + "/" +
         RandomToken(3);
}

}  // namespace switchboard
