// Fleets and devices (operator side).
#include <gtest/gtest.h>
#include <soci/soci.h>

#include "domain/brokers.h"
#include "domain/devices.h"
#include "domain/domain_errors.h"
#include "domain/fleets.h"
#include "domain_test_support.h"
#include "test_database.h"

namespace switchboard {
namespace {

using testing::CountRows;
using testing::DatabaseTest;
using testing::MinimalBroker;
using testing::TestUuid;

class FleetsTest : public DatabaseTest {};

TEST_P(FleetsTest, Crud) {
  Fleets fleets(storage());
  Brokers brokers(storage());
  const auto broker = brokers.Create(MinimalBroker("b"));

  FleetInput in;
  in.id = "field-units";
  in.mqtt_broker_id = std::optional<std::int64_t>(broker.id);
  Fleet f = fleets.Create(in);
  EXPECT_EQ(f.id, "field-units");
  EXPECT_EQ(f.name, "field-units");  // defaults to the id
  EXPECT_EQ(f.mqtt_broker_id, broker.id);
  EXPECT_EQ(f.device_count, 0);
  EXPECT_FALSE(f.created_at.empty());

  FleetInput rename;
  rename.name = "Field units";
  f = fleets.Update("field-units", rename);
  EXPECT_EQ(f.name, "Field units");
  EXPECT_EQ(f.mqtt_broker_id, broker.id);  // untouched

  FleetInput clear;
  clear.mqtt_broker_id = std::optional<std::int64_t>();  // null
  f = fleets.Update("field-units", clear);
  EXPECT_FALSE(f.mqtt_broker_id.has_value());
  EXPECT_EQ(fleets.Get("field-units").name, "Field units");

  in.id = "aaa";
  in.name = "first";
  fleets.Create(in);
  const auto list = fleets.List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, "aaa");

  EXPECT_EQ(fleets.Delete("aaa"), 0);
  EXPECT_THROW(fleets.Get("aaa"), NotFound);
  EXPECT_THROW(fleets.Delete("aaa"), NotFound);
  EXPECT_THROW(fleets.Update("aaa", rename), NotFound);
}

TEST_P(FleetsTest, Validation) {
  Fleets fleets(storage());
  auto field_of = [&](const FleetInput& in) -> std::string {
    try {
      fleets.Create(in);
    } catch (const ValidationError& e) {
      return e.field();
    }
    return "";
  };
  FleetInput in;
  EXPECT_EQ(field_of(in), "id");
  in.id = "";
  EXPECT_EQ(field_of(in), "id");
  in.id = std::string(129, 'x');
  EXPECT_EQ(field_of(in), "id");
  in.id = "has space";
  EXPECT_EQ(field_of(in), "id");
  in.id = "ok";
  in.name = std::string(256, 'n');
  EXPECT_EQ(field_of(in), "name");
  in.name = "ok";
  in.mqtt_broker_id = std::optional<std::int64_t>(77);  // no such broker
  EXPECT_EQ(field_of(in), "mqtt_broker_id");
  EXPECT_EQ(CountRows(storage(), "fleets"), 0);

  in.mqtt_broker_id.reset();
  fleets.Create(in);
  EXPECT_THROW(fleets.Create(in), Conflict);
  FleetInput change_id;
  change_id.id = "other";
  EXPECT_THROW(fleets.Update("ok", change_id), ValidationError);
  FleetInput bad_broker;
  bad_broker.mqtt_broker_id = std::optional<std::int64_t>(77);
  try {
    fleets.Update("ok", bad_broker);
    FAIL();
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), "mqtt_broker_id");
  }
}

TEST_P(FleetsTest, DeleteWithDevicesIsConflictAndKeysGoWithTheFleet) {
  Fleets fleets(storage());
  FleetInput in;
  in.id = "f";
  fleets.Create(in);
  Exec("INSERT INTO provisioning_keys (key_hash, fleet_id) VALUES ('h1', 'f')");
  Exec(
      "INSERT INTO devices (uuid, device_name, device_type, api_key_hash, fleet_id) "
      "VALUES ('u', 'd', 't', 'h', 'f')");
  EXPECT_EQ(fleets.Get("f").device_count, 1);
  try {
    fleets.Delete("f");
    FAIL();
  } catch (const Conflict& e) {
    EXPECT_NE(std::string(e.what()).find("1 device"), std::string::npos) << e.what();
  }
  Exec("DELETE FROM devices");
  EXPECT_EQ(fleets.Delete("f"), 1);
  EXPECT_EQ(CountRows(storage(), "provisioning_keys"), 0);
}

SWITCHBOARD_BOTH_BACKENDS(FleetsTest);

template <typename T>
concept HasApiKeyHash = requires(T t) {
  t.api_key_hash;
};
static_assert(!HasApiKeyHash<DeviceRecord>);

class DevicesTest : public DatabaseTest {
 protected:
  void AddDevice(int n) {
    Exec("INSERT INTO devices (uuid, device_name, device_type, api_key_hash, region) VALUES ('" +
         TestUuid(n) + "', 'dev" + std::to_string(n) + "', 'sensor', 'sha256$x$y', 'eu')");
  }
};

TEST_P(DevicesTest, GetIsCaseInsensitiveAndHidesTheKeyHash) {
  Exec(
      "INSERT INTO devices (uuid, device_name, device_type, api_key_hash) VALUES "
      "('abcdef00-0000-4000-8000-000000000001', 'n', 't', 'secret-hash')");
  Devices devices(storage());
  const auto d = devices.Get("ABCDEF00-0000-4000-8000-000000000001");
  EXPECT_EQ(d.uuid, "abcdef00-0000-4000-8000-000000000001");
  EXPECT_EQ(d.device_name, "n");
  EXPECT_EQ(d.fleet_id, "");
  EXPECT_FALSE(d.mqtt_broker_id.has_value());
  EXPECT_THROW(devices.Get(TestUuid(404)), NotFound);
}

TEST_P(DevicesTest, UpdateAndClear) {
  AddDevice(1);
  Brokers brokers(storage());
  Fleets fleets(storage());
  const auto broker = brokers.Create(MinimalBroker("b"));
  FleetInput fleet;
  fleet.id = "f1";
  fleets.Create(fleet);
  Devices devices(storage());

  DeviceUpdate update;
  update.mqtt_broker_id = std::optional<std::int64_t>(broker.id);
  update.fleet_id = std::optional<std::string>("f1");
  update.region = std::optional<std::string>("us-east");
  update.device_name = "renamed";
  auto d = devices.Update(TestUuid(1), update);
  EXPECT_EQ(d.mqtt_broker_id, broker.id);
  EXPECT_EQ(d.fleet_id, "f1");
  EXPECT_EQ(d.region, "us-east");
  EXPECT_EQ(d.device_name, "renamed");
  EXPECT_EQ(d.device_type, "sensor");

  DeviceUpdate clear;
  clear.mqtt_broker_id = std::optional<std::int64_t>();
  clear.fleet_id = std::optional<std::string>();
  clear.region = std::optional<std::string>();
  d = devices.Update(TestUuid(1), clear);
  EXPECT_FALSE(d.mqtt_broker_id.has_value());
  EXPECT_EQ(d.fleet_id, "");
  EXPECT_EQ(d.region, "");
  EXPECT_EQ(d.device_name, "renamed");
  EXPECT_EQ(CountRows(storage(), "devices",
                      "mqtt_broker_id IS NULL AND fleet_id IS NULL AND region IS NULL"),
            1);
  // The broker is free again.
  EXPECT_NO_THROW(brokers.Delete(broker.id));
}

TEST_P(DevicesTest, UpdateValidation) {
  AddDevice(1);
  Devices devices(storage());
  auto field_of = [&](const DeviceUpdate& u) -> std::string {
    try {
      devices.Update(TestUuid(1), u);
    } catch (const ValidationError& e) {
      return e.field();
    }
    return "";
  };
  DeviceUpdate u;
  u.mqtt_broker_id = std::optional<std::int64_t>(5);
  EXPECT_EQ(field_of(u), "mqtt_broker_id");
  u = {};
  u.fleet_id = std::optional<std::string>("nope");
  EXPECT_EQ(field_of(u), "fleet_id");
  u = {};
  u.device_name = "";
  EXPECT_EQ(field_of(u), "device_name");
  u = {};
  u.device_name = std::string(256, 'x');
  EXPECT_EQ(field_of(u), "device_name");
  EXPECT_THROW(devices.Update(TestUuid(2), DeviceUpdate{}), NotFound);
  EXPECT_EQ(devices.Get(TestUuid(1)).device_name, "dev1");
}

TEST_P(DevicesTest, CursorPagination) {
  for (int i = 1; i <= 25; ++i) AddDevice(i);
  Devices devices(storage());
  std::vector<std::string> seen;
  std::optional<std::int64_t> after;
  int pages = 0;
  do {
    const DevicePage page = devices.List(10, after);
    ++pages;
    EXPECT_LE(page.devices.size(), 10u);
    for (const auto& d : page.devices) seen.push_back(d.uuid);
    after = page.next_after;
    if (after) {
      EXPECT_EQ(*after, page.devices.back().id);
    }
  } while (after);
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 25u);
  for (int i = 1; i <= 25; ++i) EXPECT_EQ(seen[i - 1], TestUuid(i));

  // Exactly one full page: no next cursor.
  const DevicePage all = devices.List(25, std::nullopt);
  EXPECT_EQ(all.devices.size(), 25u);
  EXPECT_FALSE(all.next_after.has_value());
  // Default limit 100.
  EXPECT_EQ(devices.List(std::nullopt, std::nullopt).devices.size(), 25u);
  // Past the end.
  EXPECT_TRUE(devices.List(10, 1'000'000).devices.empty());
}

TEST_P(DevicesTest, PaginationLimits) {
  Devices devices(storage());
  auto field_of = [&](std::optional<std::int64_t> limit, std::optional<std::int64_t> after) {
    try {
      devices.List(limit, after);
    } catch (const ValidationError& e) {
      return e.field();
    }
    return std::string();
  };
  EXPECT_EQ(field_of(0, std::nullopt), "limit");
  EXPECT_EQ(field_of(1001, std::nullopt), "limit");
  EXPECT_EQ(field_of(-1, std::nullopt), "limit");
  EXPECT_EQ(field_of(10, -1), "after");
  EXPECT_EQ(field_of(1, std::nullopt), "");
  EXPECT_EQ(field_of(1000, 0), "");
}

SWITCHBOARD_BOTH_BACKENDS(DevicesTest);

}  // namespace
}  // namespace switchboard
