#include "storage/migrations.h"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <map>
#include <set>

#include "missing_tool.h"
#include "test_database.h"

namespace switchboard {
namespace {

using testing::DatabaseTest;

// Table -> columns, read from the database's own catalog.
using Catalog = std::map<std::string, std::set<std::string>>;

Catalog ReadCatalog(Storage& storage) {
  Catalog catalog;
  Storage::Lease lease = storage.Acquire();
  soci::session& sql = *lease;
  std::vector<std::string> tables;
  if (storage.dialect() == Dialect::kSqlite) {
    soci::rowset<std::string> rows =
        (sql.prepare << "SELECT name FROM sqlite_master WHERE type = 'table' "
                        "AND name NOT LIKE 'sqlite_%'");
    for (const auto& t : rows) tables.push_back(t);
    for (const auto& t : tables) {
      soci::rowset<soci::row> columns = (sql.prepare << "PRAGMA table_info(" + t + ")");
      for (const auto& c : columns) catalog[t].insert(c.get<std::string>(1));
    }
  } else {
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT table_name, column_name FROM information_schema.columns "
                        "WHERE table_schema = current_schema()");
    for (const auto& r : rows) catalog[r.get<std::string>(0)].insert(r.get<std::string>(1));
  }
  return catalog;
}

class MigrationsTest : public DatabaseTest {
 protected:
  MigrationsTest() { migrate_ = false; }

  int Count(const std::string& query) {
    Storage::Lease lease = storage().Acquire();
    int n = -1;
    *lease << query, soci::into(n);
    return n;
  }

  // True when the statement is refused by the database.
  bool Refused(const std::string& statement) {
    Storage::Lease lease = storage().Acquire();
    try {
      *lease << statement;
      return false;
    } catch (const soci::soci_error&) {
      return true;
    }
  }

  void InsertBroker(const std::string& name, const std::string& extra_columns = "",
                    const std::string& extra_values = "") {
    Exec("INSERT INTO mqtt_broker_config (name, host" + extra_columns + ") VALUES ('" + name +
         "', 'h'" + extra_values + ")");
  }
};

TEST_P(MigrationsTest, ApplyFromEmptyThenReapplyIsNoop) {
  const auto all = MigrationsFor(storage().dialect());
  ASSERT_FALSE(all.empty());
  const auto first = ApplyMigrations(storage());
  EXPECT_EQ(first.size(), all.size());
  EXPECT_EQ(CurrentSchemaVersion(storage()), all.back().version);
  EXPECT_TRUE(ApplyMigrations(storage()).empty());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM schema_migrations"), static_cast<int>(all.size()));
}

TEST_P(MigrationsTest, SchemaHasEveryTableOfTheSpec) {
  ApplyMigrations(storage());
  const Catalog catalog = ReadCatalog(storage());
  for (const char* table : {"mqtt_broker_config", "fleets", "devices", "provisioning_keys",
                            "mqtt_users", "mqtt_acls", "schema_migrations"}) {
    EXPECT_EQ(catalog.count(table), 1u) << table;
  }
  const std::set<std::string> broker_columns = {"id",
                                                "name",
                                                "description",
                                                "protocol",
                                                "host",
                                                "port",
                                                "path",
                                                "username",
                                                "password",
                                                "use_tls",
                                                "ca_cert",
                                                "client_cert",
                                                "client_key",
                                                "verify_certificate",
                                                "client_id_prefix",
                                                "keep_alive",
                                                "clean_session",
                                                "reconnect_period",
                                                "connect_timeout",
                                                "is_active",
                                                "is_default",
                                                "broker_type",
                                                "region",
                                                "weight",
                                                "extra_config",
                                                "created_at",
                                                "updated_at",
                                                "last_connected_at",
                                                "backup_broker_ids"};
  EXPECT_EQ(catalog.at("mqtt_broker_config"), broker_columns);
}

TEST_P(MigrationsTest, BothDialectsEndWithSameTablesAndColumns) {
  ApplyMigrations(storage());
  std::string why;
  const std::string other = backend() == "sqlite" ? "postgresql" : "sqlite";
  auto other_db = testing::ScratchDatabase::Create(other, &why);
  if (!other_db) SWITCHBOARD_MISSING_TOOL(why);
  Storage other_storage(other_db->url(), 1, std::chrono::milliseconds(5000));
  ApplyMigrations(other_storage);
  EXPECT_EQ(ReadCatalog(storage()), ReadCatalog(other_storage));
  EXPECT_EQ(CurrentSchemaVersion(storage()), CurrentSchemaVersion(other_storage));
}

TEST_P(MigrationsTest, DatabaseRejectsInvalidBrokers) {
  ApplyMigrations(storage());
  InsertBroker("first-default", ", is_default", ", 1");
  EXPECT_TRUE(
      Refused("INSERT INTO mqtt_broker_config (name, host, is_default) VALUES ('second', 'h', 1)"));
  EXPECT_TRUE(Refused("INSERT INTO mqtt_broker_config (name, host, port) VALUES ('p0', 'h', 0)"));
  EXPECT_TRUE(
      Refused("INSERT INTO mqtt_broker_config (name, host, port) VALUES ('p7', 'h', 70000)"));
  EXPECT_TRUE(
      Refused("INSERT INTO mqtt_broker_config (name, host, protocol) VALUES ('f', 'h', 'ftp')"));
  EXPECT_TRUE(
      Refused("INSERT INTO mqtt_broker_config (name, host, keep_alive) VALUES ('k', 'h', 0)"));
  EXPECT_TRUE(Refused(
      "INSERT INTO mqtt_broker_config (name, host, broker_type) VALUES ('t', 'h', 'moon')"));
  EXPECT_TRUE(Refused("INSERT INTO mqtt_broker_config (name, host) VALUES ('first-default', 'h')"));
  // Non-default brokers are not limited.
  InsertBroker("a");
  InsertBroker("b");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM mqtt_broker_config"), 3);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM mqtt_broker_config WHERE is_default = 1"), 1);
}

TEST_P(MigrationsTest, DeletingBrokerClearsDeviceAndFleetAssignments) {
  ApplyMigrations(storage());
  InsertBroker("doomed");
  Exec(
      "INSERT INTO fleets (id, name, mqtt_broker_id) "
      "SELECT 'f', 'fleet', id FROM mqtt_broker_config WHERE name = 'doomed'");
  Exec(
      "INSERT INTO devices (uuid, device_name, device_type, fleet_id, mqtt_broker_id, "
      "api_key_hash) SELECT 'u-1', 'd', 't', 'f', id, 'x' FROM mqtt_broker_config");
  Exec("DELETE FROM mqtt_broker_config WHERE name = 'doomed'");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM devices WHERE mqtt_broker_id IS NULL"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fleets WHERE mqtt_broker_id IS NULL"), 1);
}

TEST_P(MigrationsTest, FailingMigrationLeavesPreviousVersion) {
  std::vector<Migration> migrations = MigrationsFor(storage().dialect());
  const int good_version = migrations.back().version;
  Migration bad;
  bad.version = good_version + 1;
  bad.file = "999_broken.sql";
  bad.sql = "CREATE TABLE half_done (id INTEGER); INSERT INTO no_such_table VALUES (1);";
  migrations.push_back(bad);
  try {
    ApplyMigrations(storage(), migrations);
    FAIL() << "expected MigrationError";
  } catch (const MigrationError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("999_broken.sql: ", 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find("no_such_table"), std::string::npos) << e.what();
  }
  EXPECT_EQ(CurrentSchemaVersion(storage()), good_version);
  EXPECT_TRUE(Refused("SELECT * FROM half_done"));  // rolled back
}

SWITCHBOARD_BOTH_BACKENDS(MigrationsTest);

}  // namespace
}  // namespace switchboard
