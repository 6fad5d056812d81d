#include "storage/session_cache.h"

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

namespace switchboard {
namespace {

struct Registry {
  std::shared_mutex mutex;
  std::unordered_map<const soci::session*, SessionCache*> caches;
  // Bumped on every change, so a thread's memo (below) knows it is stale.
  std::atomic<std::uint64_t> generation{1};
};

// The last lookup of this thread: a handler asks for the same session's
// cache several times per request.
struct Memo {
  const soci::session* session = nullptr;
  SessionCache* cache = nullptr;
  std::uint64_t generation = 0;
};
thread_local Memo memo;

Registry& TheRegistry() {
  static auto* registry = new Registry;  // never destroyed: used until exit
  return *registry;
}

}  // namespace

SessionCache::~SessionCache() = default;

SessionCache* SessionCacheFor(soci::session& sql) {
  Registry& registry = TheRegistry();
  const std::uint64_t generation = registry.generation.load(std::memory_order_acquire);
  if (memo.session == &sql && memo.generation == generation) return memo.cache;
  std::shared_lock lock(registry.mutex);
  const auto it = registry.caches.find(&sql);
  SessionCache* cache = it == registry.caches.end() ? nullptr : it->second;
  memo = {&sql, cache, registry.generation.load(std::memory_order_relaxed)};
  return cache;
}

void RegisterSessionCache(soci::session* sql, SessionCache* cache) {
  Registry& registry = TheRegistry();
  std::unique_lock lock(registry.mutex);
  registry.caches[sql] = cache;
  registry.generation.fetch_add(1, std::memory_order_release);
}

void UnregisterSessionCache(soci::session* sql) {
  Registry& registry = TheRegistry();
  std::unique_lock lock(registry.mutex);
  registry.caches.erase(sql);
  registry.generation.fetch_add(1, std::memory_order_release);
}

void FinishSingleRow(soci::session& sql, soci::statement& st) noexcept {
  soci::details::session_backend* backend = sql.get_backend();
  if (backend == nullptr || backend->get_backend_name() != "sqlite3") return;
  // The backend classes export no typeinfo (no dynamic_cast): the name is
  // the check, as in storage.cc. sqlite3_reset() ends the statement's read
  // transaction (cheaper than stepping it to SQLITE_DONE through SOCI's
  // fetch()); SOCI resets it again before its next execution anyway.
  auto* statement = static_cast<soci::sqlite3_statement_backend*>(st.get_backend());
  if (statement != nullptr && statement->stmt_ != nullptr) {
    sqlite_api::sqlite3_reset(statement->stmt_);
  }
}

}  // namespace switchboard
