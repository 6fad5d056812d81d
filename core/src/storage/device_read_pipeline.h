// DeviceReadPipeline: the config fetch's device lookup on PostgreSQL, many
// lookups per round trip.
//
// Why: a config fetch is one indexed SELECT, and on a small machine its cost
// is the round trip, not the query. Per lookup the server sends, sleeps and
// wakes up, and the PostgreSQL backend wakes up, receives, sends and sleeps:
// perf put 45% of the server's CPU and 70% of the backend's in kernel
// networking and scheduling (docs/benchmarks.md). Lookups that arrive while
// one is in flight are sent together in libpq's pipeline mode: one send, one
// wake-up and one receive on each side for the whole batch.
//
// No thread of its own. The first caller to find a connection idle leads:
// it sends every queued lookup (its own included) with one sync, reads the
// answers, hands them out and wakes the others; the longest waiting one
// leads the next batch. A lookup waits at most for the batch in flight, then
// for its own. A waiter sleeps on a word of its own, not on the mutex: woken,
// it has its answer and returns without queueing for the lock the leader
// just held (a condition variable notified under the mutex woke each waiter
// into a second sleep on that mutex: two context switches per lookup).
//
// Consistency: each lookup is its own autocommit SELECT, sent after its
// caller queued it, so it sees every change committed before Find() was
// called, like the pooled sessions' reads. It also reads config_version,
// which serves the resolution that follows
// (StorageBrokerDirectory::NoteConfigVersionReadElsewhere,
// config_snapshot.h).
//
// The pipeline has `lanes` connections of its own, each opened on first use
// (so an unreachable database never stops startup) and again after it was
// lost: that many more connections per instance than `storage.pool_size`.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/resolve_context.h"
#include "switchboard/device.h"

struct pg_conn;

namespace switchboard {

class DeviceReadPipeline {
 public:
  struct Row {
    Device device;
    std::string api_key_hash;  // for verification only: never log or return it
    std::int64_t config_version = 0;
    ServedConfig served;  // what the device was last handed
  };

  // `conninfo`: a libpq connection string. `redacted_url` names the database
  // in error messages (without its password).
  // `lanes`: connections, so batches in flight at once (at least 1).
  DeviceReadPipeline(std::string conninfo, std::string redacted_url, int lanes);
  ~DeviceReadPipeline();
  DeviceReadPipeline(const DeviceReadPipeline&) = delete;
  DeviceReadPipeline& operator=(const DeviceReadPipeline&) = delete;

  // The device with this uuid (exact match: pass it lowercase); nullopt when
  // there is none. Throws StorageUnavailable when the database cannot answer
  // (a lost connection is reopened and the batch sent again, once).
  std::optional<Row> Find(const std::string& uuid);

  // Batches sent so far and the lookups they carried, for tests that check
  // lookups were batched.
  struct Counts {
    std::int64_t batches = 0;
    std::int64_t lookups = 0;
  };
  Counts CountsForTest() const;

 private:
  struct Pending;
  // Where a queued caller sleeps until its batch is done or the lane is
  // handed to it. Owned by the pipeline and reused, never freed while it
  // runs: the leader may still wake a word whose caller already returned.
  struct Waiter {
    std::atomic<std::uint32_t> state{0};
  };

  // Runs one batch on the connection; fills every entry's row or error.
  // Called by the leader only, without the mutex.
  void Run(const std::vector<Pending*>& batch, pg_conn*& connection);
  // Sends the batch and reads its answers. Throws ConnectionTrouble.
  void SendAndReceive(const std::vector<Pending*>& batch, pg_conn* connection);
  void Connect(pg_conn*& connection);
  static void Disconnect(pg_conn*& connection);

  const std::string conninfo_;
  const std::string redacted_url_;
  // One per lane, used by that lane's leader alone; null until first used.
  std::vector<pg_conn*> connections_;

  mutable std::mutex mutex_;
  std::vector<Pending*> queue_;  // waiting for the next batch
  std::vector<int> idle_lanes_;  // lanes with no batch in flight and no leader
  std::deque<Waiter> waiters_;   // deque: stable addresses as it grows
  std::vector<Waiter*> free_waiters_;
  Counts counts_;
};

}  // namespace switchboard
