#include "storage/migrations.h"

#include <soci/soci.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <string_view>

namespace switchboard {
namespace {

const char* DialectName(Dialect dialect) {
  return dialect == Dialect::kSqlite ? "sqlite" : "postgresql";
}

void EnsureMigrationsTable(soci::session& sql) {
  sql << "CREATE TABLE IF NOT EXISTS schema_migrations ("
         " version INTEGER PRIMARY KEY,"
         " applied_at TEXT NOT NULL)";
}

std::vector<int> AppliedVersions(soci::session& sql) {
  std::vector<int> versions;
  soci::rowset<int> rows =
      (sql.prepare << "SELECT version FROM schema_migrations ORDER BY version");
  for (int v : rows) versions.push_back(v);
  return versions;
}

std::string UtcNow() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

// True when `statement` is a CREATE TRIGGER whose body (BEGIN … END) is not
// finished yet: its inner semicolons do not end it (SQLite triggers).
bool InsideTriggerBody(const std::string& statement) {
  std::string upper;
  for (char c : statement) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::size_t start = upper.find_first_not_of(" \t\r\n");
  if (start == std::string::npos || upper.compare(start, 14, "CREATE TRIGGER") != 0) return false;
  // Finished when it ends with the keyword END (not a name ending in "end").
  const std::size_t end = upper.find_last_not_of(" \t\r\n");
  const bool ends_with_end = end >= 3 && upper.compare(end - 2, 3, "END") == 0 &&
                             std::string_view(" \t\r\n;").find(upper[end - 3]) != std::string::npos;
  return !ends_with_end;
}

// Splits a file into statements at top-level semicolons (outside quotes,
// comments and trigger bodies): SOCI runs one statement per call on SQLite.
std::vector<std::string> SplitStatements(const std::string& sql) {
  std::vector<std::string> out;
  std::string current;
  bool in_string = false;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (!in_string && c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      while (i < sql.size() && sql[i] != '\n') ++i;
      current += '\n';
      continue;
    }
    if (c == '\'') in_string = !in_string;
    if (c == ';' && !in_string && InsideTriggerBody(current)) {
      current += c;
      continue;
    }
    if (c == ';' && !in_string) {
      if (current.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(current);
      current.clear();
      continue;
    }
    current += c;
  }
  if (current.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(current);
  return out;
}

}  // namespace

std::vector<Migration> MigrationsFor(Dialect dialect) {
  std::vector<Migration> out;
  for (const EmbeddedMigration& m : EmbeddedMigrations()) {
    if (std::strcmp(m.dialect, DialectName(dialect)) != 0) continue;
    Migration migration;
    migration.version = std::atoi(m.file);
    migration.file = m.file;
    migration.sql = m.sql;
    out.push_back(std::move(migration));
  }
  std::sort(out.begin(), out.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  return out;
}

std::vector<Migration> ApplyMigrations(Storage& storage, const std::vector<Migration>& migrations) {
  Storage::Lease lease = storage.Acquire();
  soci::session& sql = *lease;
  try {
    EnsureMigrationsTable(sql);
  } catch (const soci::soci_error& e) {
    throw MigrationError(std::string("cannot create schema_migrations: ") + e.what());
  }

  std::vector<Migration> applied;
  for (const Migration& migration : migrations) {
    if (migration.version <= 0) {
      throw MigrationError(migration.file + ": file name must start with a version number");
    }
    // Re-read inside the write lock, so two processes migrating at once do
    // not both apply a file.
    WriteTransaction transaction(storage, sql);
    if (storage.dialect() == Dialect::kPostgresql) {
      // Several instances may start at once against one database.
      sql << "LOCK TABLE schema_migrations IN EXCLUSIVE MODE";
    }
    const std::vector<int> done = AppliedVersions(sql);
    if (std::find(done.begin(), done.end(), migration.version) != done.end()) continue;
    try {
      for (const std::string& statement : SplitStatements(migration.sql)) sql << statement;
      const std::string now = UtcNow();
      sql << "INSERT INTO schema_migrations (version, applied_at) VALUES (:v, :t)",
          soci::use(migration.version), soci::use(now);
      transaction.Commit();
    } catch (const soci::soci_error& e) {
      throw MigrationError(migration.file + ": " + e.what());
    }
    applied.push_back(migration);
  }
  return applied;
}

int CurrentSchemaVersion(Storage& storage) {
  Storage::Lease lease = storage.Acquire();
  EnsureMigrationsTable(*lease);
  int version = 0;
  soci::indicator ind = soci::i_null;
  *lease << "SELECT MAX(version) FROM schema_migrations", soci::into(version, ind);
  return ind == soci::i_ok ? version : 0;
}

}  // namespace switchboard
