// SessionCache: what the host keeps next to each pooled SOCI session for as
// long as its connection lives, mainly prepared statements reused across
// requests.
//
// Why: SOCI prepares a `soci::statement` every time it is built. On SQLite
// that is a full parse and plan (most of a lookup's cost); on PostgreSQL it
// is a PREPARE round trip, then the EXECUTE, then a DEALLOCATE round trip
// when the statement dies: three round trips for one row. A statement kept
// here is prepared once per connection and then costs one execution.
//
//   struct DeviceByUuid {  // one per query: the statement and its bound values
//     explicit DeviceByUuid(soci::session& sql);
//     std::string uuid; ...; soci::statement st;
//   };
//   if (SessionCache* cache = SessionCacheFor(sql)) {
//     DeviceByUuid& q = cache->Get<DeviceByUuid>(sql);
//     q.uuid = uuid;
//     q.st.execute(true);
//     ... copy the row out, then FinishSingleRow(sql, q.st) ...
//   }
//
// Rules for cached statements:
//   - Copy the values out and call FinishSingleRow() right after the row is
//     read: on SQLite a statement left on a row keeps its read transaction
//     open (the connection would keep reading an old snapshot and the WAL
//     could not be checkpointed).
//   - Storage clears a session's cache before the session reconnects or is
//     destroyed; nothing else may hold on to an entry.
//
// Thread safety: a session is used by one thread at a time (SOCI's rule,
// enforced by the pool's leases), and so is its cache. SessionCacheFor() is
// safe from any thread.
#pragma once

#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace soci {
class session;
class statement;
}  // namespace soci

namespace switchboard {

class ConfigSnapshotHolder;  // config_snapshot.h
class SecretBox;             // util/secret_box.h

class SessionCache {
 public:
  // `snapshots` (may be null) is the owning Storage's holder (config_snapshot.h).
  explicit SessionCache(ConfigSnapshotHolder* snapshots) : snapshots_(snapshots) {}
  ~SessionCache();
  SessionCache(const SessionCache&) = delete;
  SessionCache& operator=(const SessionCache&) = delete;

  // The entry of type T, built as T(sql) on first use. A T that throws while
  // being built (e.g. a failed PREPARE) is not kept.
  template <typename T>
  T& Get(soci::session& sql) {
    const void* key = KeyOf<T>();
    for (auto& [k, entry] : entries_) {
      if (k == key) return static_cast<Holder<T>*>(entry.get())->value;
    }
    auto holder = std::make_unique<Holder<T>>(sql);
    T& value = holder->value;
    entries_.emplace_back(key, std::move(holder));
    return value;
  }

  // Destroys every entry (before the connection closes).
  void Clear() { entries_.clear(); }

  ConfigSnapshotHolder* snapshots() const { return snapshots_; }
  // The owning Storage's secret box (util/secret_box.h), or null when
  // secrets are stored in clear. Set before the pool serves
  // (Storage::UseSecretBox).
  const SecretBox* secrets() const { return secrets_.get(); }
  void set_secrets(std::shared_ptr<const SecretBox> secrets) { secrets_ = std::move(secrets); }

 private:
  struct Entry {
    virtual ~Entry() = default;
  };
  template <typename T>
  struct Holder : Entry {
    explicit Holder(soci::session& sql) : value(sql) {}
    T value;
  };
  template <typename T>
  static const void* KeyOf() {
    static const char key = 0;
    return &key;
  }

  ConfigSnapshotHolder* const snapshots_;
  std::shared_ptr<const SecretBox> secrets_;
  std::vector<std::pair<const void*, std::unique_ptr<Entry>>> entries_;
};

// The cache of a session Storage pools; nullptr for any other session (the
// caller then runs a one-off statement).
SessionCache* SessionCacheFor(soci::session& sql);

// Storage's side: sessions are registered for the Storage's lifetime.
void RegisterSessionCache(soci::session* sql, SessionCache* cache);
void UnregisterSessionCache(soci::session* sql);

// Leaves a statement of `sql` that returned (at most) one row ready for its
// next execution without holding anything: resets it on SQLite, which ends
// its read transaction. A no-op on PostgreSQL (the result is already
// complete). Never throws.
void FinishSingleRow(soci::session& sql, soci::statement& st) noexcept;

// The statement T of a pooled session's cache; for any other session a T
// built into `local` for this one use.
template <typename T>
T& CachedStatement(soci::session& sql, std::optional<T>& local) {
  if (SessionCache* cache = SessionCacheFor(sql)) return cache->Get<T>(sql);
  return local.emplace(sql);
}

}  // namespace switchboard
