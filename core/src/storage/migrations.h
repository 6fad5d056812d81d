// Migrations: numbered SQL files, one set per dialect, compiled into the
// library (core/embed_migrations.cmake) and applied in order.
//
// Each file runs in its own transaction and is recorded in
// `schema_migrations (version, applied_at)`; a file that fails leaves the
// database at the previous version. Not safe to run from two processes at
// once on SQLite without the busy timeout (the write lock serialises them).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "storage/storage.h"

namespace switchboard {

struct EmbeddedMigration {
  const char* dialect;  // "sqlite" | "postgresql"
  const char* file;     // "001_initial.sql"
  const char* sql;
};

// Every embedded file of both dialects, sorted by file name per dialect.
const std::vector<EmbeddedMigration>& EmbeddedMigrations();

struct Migration {
  int version = 0;   // the NNN prefix
  std::string file;  // e.g. "001_initial.sql"
  std::string sql;
};

// A migration failed; what() names the file and the database's message.
class MigrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The migrations for one dialect, ordered by version.
std::vector<Migration> MigrationsFor(Dialect dialect);

// Applies every pending migration; returns those applied (empty when the
// database is up to date). Throws MigrationError or StorageUnavailable.
std::vector<Migration> ApplyMigrations(Storage& storage, const std::vector<Migration>& migrations);
inline std::vector<Migration> ApplyMigrations(Storage& storage) {
  return ApplyMigrations(storage, MigrationsFor(storage.dialect()));
}

// The highest applied version, 0 for an empty database.
int CurrentSchemaVersion(Storage& storage);

}  // namespace switchboard
