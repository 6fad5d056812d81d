#include "storage/storage.h"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <chrono>
#include <thread>

#include "test_database.h"

namespace switchboard {
namespace {

using namespace std::chrono_literals;
using testing::DatabaseTest;

class StorageTest : public DatabaseTest {};

TEST_P(StorageTest, ExhaustedPoolReportsInsteadOfHanging) {
  Storage small(url(), 1, 50ms);
  Storage::Lease held = small.Acquire();
  // A pool that waited forever would hang here until ctest's timeout.
  try {
    small.Acquire();
    FAIL() << "second lease of a one-session pool must fail";
  } catch (const StorageUnavailable& e) {
    EXPECT_NE(std::string(e.what()).find("no database session free"), std::string::npos);
  }
}

TEST_P(StorageTest, ReleasedSessionIsReused) {
  Storage small(url(), 1, 50ms);
  { Storage::Lease first = small.Acquire(); }
  Storage::Lease again = small.Acquire();
  int one = 0;
  *again << "SELECT 1", soci::into(one);
  EXPECT_EQ(one, 1);
}

TEST_P(StorageTest, WaiterGetsSessionWhenReleased) {
  Storage small(url(), 1, 10s);
  auto held = std::make_unique<Storage::Lease>(small.Acquire());
  std::thread releaser([&] {
    std::this_thread::sleep_for(50ms);
    held.reset();
  });
  EXPECT_NO_THROW(small.Acquire());
  releaser.join();
}

TEST_P(StorageTest, WriteTransactionRollsBackUnlessCommitted) {
  {
    Storage::Lease lease = storage().Acquire();
    WriteTransaction tx(storage(), *lease);
    *lease << "INSERT INTO fleets (id, name) VALUES ('f1', 'one')";
  }  // no commit
  {
    Storage::Lease lease = storage().Acquire();
    WriteTransaction tx(storage(), *lease);
    *lease << "INSERT INTO fleets (id, name) VALUES ('f2', 'two')";
    tx.Commit();
  }
  Storage::Lease lease = storage().Acquire();
  int count = -1;
  *lease << "SELECT COUNT(*) FROM fleets", soci::into(count);
  EXPECT_EQ(count, 1);
}

TEST_P(StorageTest, ForeignKeysAreEnforcedOnEveryConnection) {
  // Lease every session of the pool so each connection is checked.
  std::vector<Storage::Lease> leases;
  for (int i = 0; i < 4; ++i) leases.push_back(storage().Acquire());
  for (auto& lease : leases) {
    EXPECT_THROW(*lease << "INSERT INTO fleets (id, name, mqtt_broker_id) VALUES ('x', 'x', 999)",
                 soci::soci_error);
  }
}

TEST_P(StorageTest, PingAndRedactedUrl) {
  EXPECT_TRUE(storage().Ping());
  Storage secret("postgresql://host=127.0.0.1 port=1 dbname=x user=u password=hunter2", 1, 50ms);
  EXPECT_EQ(secret.RedactedUrl().find("hunter2"), std::string::npos);
}

SWITCHBOARD_BOTH_BACKENDS(StorageTest);

TEST(StorageUnreachableTest, ConstructionSucceedsAndAcquireSaysUnavailable) {
  Storage nobody(
      "postgresql://host=127.0.0.1 port=1 dbname=x user=u password=hunter2 "
      "connect_timeout=2",
      2, 100ms);
  EXPECT_FALSE(nobody.Ping());
  try {
    nobody.Acquire();
    FAIL() << "expected StorageUnavailable";
  } catch (const StorageUnavailable& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("unreachable"), std::string::npos);
    EXPECT_EQ(what.find("hunter2"), std::string::npos) << "password leaked: " << what;
  }
}

TEST(StorageUnreachableTest, RejectsUnknownScheme) {
  EXPECT_THROW(Storage("mysql://x", 1, 10ms), std::invalid_argument);
}

TEST(StorageSqliteTest, CreatesDatabaseFolderAndUsesWal) {
  testing::TempDir dir;
  Storage storage("sqlite3://db=" + dir.path() + "/nested/sub/db.sqlite timeout=5", 1, 1s);
  Storage::Lease lease = storage.Acquire();
  std::string mode;
  *lease << "PRAGMA journal_mode", soci::into(mode);
  EXPECT_EQ(mode, "wal");
}

}  // namespace
}  // namespace switchboard
