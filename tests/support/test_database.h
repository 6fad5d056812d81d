// Test databases on both backends.
//
// SQLite: a fresh file in a temp directory per test. PostgreSQL: a fresh
// schema per test in the cluster scripts/test starts, whose connection
// string is in SWITCHBOARD_TEST_POSTGRES_URL. Without that variable the
// PostgreSQL instances are skipped with a visible message, or fail under
// CI=true (missing_tool.h).
//
// Typical use:
//   class BrokersTest : public switchboard::testing::DatabaseTest {};
//   TEST_P(BrokersTest, Something) { auto lease = storage().Acquire(); ... }
//   SWITCHBOARD_BOTH_BACKENDS(BrokersTest);
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "storage/storage.h"

namespace switchboard::testing {

// Makes an empty database for one backend ("sqlite" | "postgresql") and
// drops it on destruction. url() is a connection string for it.
class ScratchDatabase {
 public:
  // Returns nullptr when the backend is unavailable (PostgreSQL without
  // SWITCHBOARD_TEST_POSTGRES_URL); `why` says so.
  static std::unique_ptr<ScratchDatabase> Create(const std::string& backend, std::string* why);
  ~ScratchDatabase();

  const std::string& url() const { return url_; }
  const std::string& backend() const { return backend_; }

 private:
  ScratchDatabase() = default;
  std::string backend_;
  std::string url_;
  std::string dir_;     // sqlite: temp directory to remove
  std::string schema_;  // postgresql: schema to drop
  std::string admin_url_;
};

// A fixture parameterised by backend name: a migrated scratch database and
// a Storage on it. A derived SetUp calls DatabaseTest::SetUp() first and
// returns when `IsSkipped() || HasFatalFailure()` (no database).
class DatabaseTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  void TearDown() override;

  Storage& storage() { return *storage_; }
  const std::string& url() const { return database_->url(); }
  const std::string& backend() const { return GetParam(); }

  // Runs one statement (test data setup) on a leased session.
  void Exec(const std::string& sql);

  // Set before SetUp() runs (in the derived constructor) to get an empty,
  // unmigrated database.
  bool migrate_ = true;

 private:
  std::unique_ptr<ScratchDatabase> database_;
  std::unique_ptr<Storage> storage_;
};

// A unique temp directory removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes `text` to `path` (creating or truncating it).
void WriteFile(const std::string& path, const std::string& text);
std::string ReadFile(const std::string& path);

}  // namespace switchboard::testing

#define SWITCHBOARD_BOTH_BACKENDS(Fixture)                                               \
  INSTANTIATE_TEST_SUITE_P(Backends, Fixture, ::testing::Values("sqlite", "postgresql"), \
                           [](const auto& info) { return info.param; })
