#include "storage/device_read_pipeline.h"

#include <libpq-fe.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "engine/resolve_context.h"
#include "storage/config_snapshot.h"
#include "storage/pg_result.h"
#include "storage/storage.h"

namespace switchboard {
namespace {

constexpr char kStatementName[] = "switchboard_device_by_uuid";

// The columns of the config fetch, and config_version in the same statement.
std::string DeviceByUuid() {
  return std::string("SELECT ") + kFetchDeviceColumns + ", " + kConfigVersionColumn +
         " FROM devices WHERE uuid = $1";
}

// The connection cannot be trusted any more (lost, or out of step with the
// pipeline): drop it. The text is for clients and logs: no SQL, no
// connection string.
class ConnectionTrouble : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::int64_t Integer(const PGresult* result, int column) {
  const char* text = PQgetvalue(result, 0, column);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text, text + std::strlen(text), value);
  if (error != std::errc() || *end != '\0') throw ConnectionTrouble("unexpected device row");
  return value;
}

std::string Text(const PGresult* result, int column) {
  if (PQgetisnull(result, 0, column)) return "";
  return std::string(PQgetvalue(result, 0, column),
                     static_cast<std::size_t>(PQgetlength(result, 0, column)));
}

}  // namespace

// Waiter::state values.
constexpr std::uint32_t kQueued = 0;    // waiting for a batch
constexpr std::uint32_t kSleeping = 1;  // the same, asleep in the kernel
constexpr std::uint32_t kDone = 2;      // its batch is done: row or error set
constexpr std::uint32_t kLead = 3;      // it leads the next batch on `lane`

struct DeviceReadPipeline::Pending {
  explicit Pending(const std::string& u) : uuid(u) {}
  const std::string& uuid;
  std::optional<Row> row;
  std::string error;  // set when the database could not answer
  bool answered = false;
  int lane = -1;             // the lane it leads on, once it leads
  Waiter* waiter = nullptr;  // while queued
};

namespace {

// A futex rather than std::atomic::wait: libstdc++'s wait calls
// sched_yield() several times before it sleeps, 1.5 extra system calls per
// lookup under load, and a higher p99 (docs/benchmarks.md).
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

// Sleeps until the state leaves kQueued; returns the new state.
std::uint32_t SleepWhileQueued(std::atomic<std::uint32_t>& word) {
  std::uint32_t state = kQueued;
  if (!word.compare_exchange_strong(state, kSleeping, std::memory_order_acquire)) return state;
  for (;;) {
    // Returns at once if the word no longer holds kSleeping (woken before
    // it slept); a wake-up meant for this word's previous user, or a
    // signal, returns early too: the loop checks the state again.
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, kSleeping,
            nullptr, nullptr, 0);
    state = word.load(std::memory_order_acquire);
    if (state != kSleeping) return state;
  }
}

// Publishes `state` (and everything written to the caller's Pending before
// it) and wakes the caller if it sleeps. The caller's Pending must not be
// touched afterwards: the caller may already have returned.
void Wake(std::atomic<std::uint32_t>& word, std::uint32_t state) {
  if (word.exchange(state, std::memory_order_acq_rel) == kSleeping) {
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr,
            nullptr, 0);
  }
}

}  // namespace

DeviceReadPipeline::DeviceReadPipeline(std::string conninfo, std::string redacted_url, int lanes)
    : conninfo_(std::move(conninfo)),
      redacted_url_(std::move(redacted_url)),
      connections_(static_cast<std::size_t>(std::max(lanes, 1)), nullptr) {
  for (int lane = static_cast<int>(connections_.size()) - 1; lane >= 0; --lane) {
    idle_lanes_.push_back(lane);
  }
}

DeviceReadPipeline::~DeviceReadPipeline() {
  for (pg_conn*& connection : connections_) Disconnect(connection);
}

std::optional<DeviceReadPipeline::Row> DeviceReadPipeline::Find(const std::string& uuid) {
  Pending me(uuid);
  std::unique_lock lock(mutex_);
  if (!idle_lanes_.empty()) {
    me.lane = idle_lanes_.back();
    idle_lanes_.pop_back();
  } else {
    if (free_waiters_.empty()) free_waiters_.push_back(&waiters_.emplace_back());
    Waiter* waiter = free_waiters_.back();
    free_waiters_.pop_back();
    waiter->state.store(kQueued, std::memory_order_relaxed);
    me.waiter = waiter;
    queue_.push_back(&me);
    lock.unlock();
    const std::uint32_t state = SleepWhileQueued(waiter->state);
    lock.lock();
    free_waiters_.push_back(waiter);
    if (state == kDone) {
      lock.unlock();
      if (!me.error.empty()) throw StorageUnavailable(me.error);
      return std::move(me.row);
    }
  }
  // A leader: its own lookup and every one queued, in one batch.
  std::vector<Pending*> batch;
  batch.swap(queue_);
  batch.push_back(&me);
  lock.unlock();
  Run(batch, connections_[static_cast<std::size_t>(me.lane)]);
  lock.lock();
  ++counts_.batches;
  counts_.lookups += static_cast<std::int64_t>(batch.size());
  Waiter* next_leader = nullptr;
  if (queue_.empty()) {
    idle_lanes_.push_back(me.lane);
  } else {
    // The lane goes to the longest waiting lookup, which leads the next
    // batch; out of the queue, so no other leader takes it along.
    Pending* next = queue_.front();
    queue_.erase(queue_.begin());
    next->lane = me.lane;
    next_leader = next->waiter;
  }
  lock.unlock();
  // Woken without the mutex held, the next leader first: the lane is busy
  // again sooner.
  if (next_leader != nullptr) Wake(next_leader->state, kLead);
  for (Pending* pending : batch) {
    if (pending != &me) Wake(pending->waiter->state, kDone);
  }
  if (!me.error.empty()) throw StorageUnavailable(me.error);
  return std::move(me.row);
}

DeviceReadPipeline::Counts DeviceReadPipeline::CountsForTest() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

void DeviceReadPipeline::Run(const std::vector<Pending*>& batch, pg_conn*& connection) {
  // A connection that was open before this batch may have been dropped by
  // the server since (restart, idle timeout): reopen and send again, once.
  // A fresh connection that fails is a real failure.
  for (int attempt = 0;; ++attempt) {
    const bool was_open = connection != nullptr;
    try {
      Connect(connection);
      SendAndReceive(batch, connection);
      return;
    } catch (const StorageUnavailable& e) {  // could not connect
      for (Pending* pending : batch) pending->error = e.what();
      return;
    } catch (const ConnectionTrouble& e) {
      Disconnect(connection);
      if (was_open && attempt == 0) {
        for (Pending* pending : batch) {
          pending->answered = false;
          pending->row.reset();
        }
        continue;
      }
      for (Pending* pending : batch) {
        if (!pending->answered) pending->error = std::string("storage unavailable: ") + e.what();
      }
      return;
    } catch (const std::exception&) {
      // Whatever else (out of memory): the lane must still be handed on, and
      // every caller answered.
      Disconnect(connection);
      for (Pending* pending : batch) {
        if (!pending->answered) pending->error = "storage unavailable: device lookup failed";
      }
      return;
    }
  }
}

void DeviceReadPipeline::SendAndReceive(const std::vector<Pending*>& batch, pg_conn* connection) {
  for (Pending* pending : batch) {
    const char* value = pending->uuid.c_str();
    if (PQsendQueryPrepared(connection, kStatementName, 1, &value, nullptr, nullptr, 0) != 1) {
      throw ConnectionTrouble("database connection lost");
    }
  }
  if (PQpipelineSync(connection) != 1) throw ConnectionTrouble("database connection lost");

  // Per lookup: its result, then a null that ends it; then the sync's result.
  for (Pending* pending : batch) {
    PgResult result(PQgetResult(connection));
    if (result.get() == nullptr) throw ConnectionTrouble("database connection lost");
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK || PQnfields(result.get()) != 10) {
      // A failed statement aborts the rest of the pipeline: start afresh.
      throw ConnectionTrouble("device lookup failed");
    }
    if (PQntuples(result.get()) == 1) {
      Row row;
      row.device.id = Integer(result.get(), 0);
      row.device.uuid = pending->uuid;
      row.device.device_name = Text(result.get(), 1);
      row.device.device_type = Text(result.get(), 2);
      row.device.fleet_id = Text(result.get(), 3);
      row.device.region = Text(result.get(), 4);
      if (!PQgetisnull(result.get(), 0, 5)) row.device.mqtt_broker_id = Integer(result.get(), 5);
      row.api_key_hash = Text(result.get(), 6);
      row.served.version = Text(result.get(), 7);
      if (!PQgetisnull(result.get(), 0, 8)) row.served.counter = Integer(result.get(), 8);
      if (PQgetisnull(result.get(), 0, 9)) throw ConnectionTrouble("config_version has no row");
      row.config_version = Integer(result.get(), 9);
      pending->row = std::move(row);
    }
    pending->answered = true;
    PgResult end(PQgetResult(connection));
    if (end.get() != nullptr) throw ConnectionTrouble("device lookup out of step");
  }
  PgResult sync(PQgetResult(connection));
  if (sync.get() == nullptr || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
    throw ConnectionTrouble("device lookup out of step");
  }
}

void DeviceReadPipeline::Connect(pg_conn*& connection) {
  if (connection != nullptr && PQstatus(connection) == CONNECTION_OK) return;
  Disconnect(connection);
  // Named, so operators can tell these connections apart in pg_stat_activity.
  connection = PQconnectdb((conninfo_ + " application_name=switchboard-fetch-pipeline").c_str());
  if (connection == nullptr || PQstatus(connection) != CONNECTION_OK) {
    // libpq's own message may quote the connection string: not passed on.
    Disconnect(connection);
    throw StorageUnavailable("database unreachable (" + redacted_url_ + ")");
  }
  PgResult prepared(PQprepare(connection, kStatementName, DeviceByUuid().c_str(), 1, nullptr));
  if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK || PQenterPipelineMode(connection) != 1) {
    Disconnect(connection);
    throw StorageUnavailable("device lookup cannot be prepared (is the database migrated?)");
  }
}

void DeviceReadPipeline::Disconnect(pg_conn*& connection) {
  if (connection != nullptr) PQfinish(connection);
  connection = nullptr;
}

}  // namespace switchboard
