#include "session_cache.h"

#include <soci/soci.h>

#include <mutex>
#include <shared_mutex>
#include <unordered_map>

namespace switchboard {
namespace {

struct Registry {
  std::shared_mutex mutex;
  std::unordered_map<const soci::session*, SessionCache*> caches;
};

Registry& TheRegistry() {
  static auto* registry = new Registry;  // never destroyed: used until exit
  return *registry;
}

}  // namespace

SessionCache::~SessionCache() = default;

SessionCache* SessionCacheFor(soci::session& sql) {
  Registry& registry = TheRegistry();
  std::shared_lock lock(registry.mutex);
  const auto it = registry.caches.find(&sql);
  return it == registry.caches.end() ? nullptr : it->second;
}

void RegisterSessionCache(soci::session* sql, SessionCache* cache) {
  Registry& registry = TheRegistry();
  std::unique_lock lock(registry.mutex);
  registry.caches[sql] = cache;
}

void UnregisterSessionCache(soci::session* sql) {
  Registry& registry = TheRegistry();
  std::unique_lock lock(registry.mutex);
  registry.caches.erase(sql);
}

void FinishSingleRow(soci::statement& st) noexcept {
  try {
    // SQLite: one more step reaches SQLITE_DONE, which ends the statement's
    // read transaction. PostgreSQL: the next row of a complete result, no
    // round trip.
    while (st.fetch()) {
    }
  } catch (...) {
    // The statement is reset at its next execution anyway.
  }
}

}  // namespace switchboard
