// broker_rows.h: the one mapping of mqtt_broker_config rows onto
// BrokerConfig, on both backends.
#include <gtest/gtest.h>

#include "resolver_database_test.h"
#include "storage/broker_rows.h"

namespace switchboard {
namespace {

class BrokerRowsTest : public testing::ResolverDatabaseTest {};

TEST_P(BrokerRowsTest, EveryColumnRoundTrips) {
  Exec(
      "INSERT INTO mqtt_broker_config (id, name, description, protocol, host, port, path, "
      "username, password, use_tls, ca_cert, client_cert, client_key, verify_certificate, "
      "client_id_prefix, keep_alive, clean_session, reconnect_period, connect_timeout, is_active, "
      "is_default, broker_type, region, weight, extra_config) VALUES (42, 'full', 'desc', 'wss', "
      "'h.example', 8443, '/mqtt', 'svc', 'pw', 1, 'CA', 'CERT', 'KEY', 0, 'pfx-', 15, 0, 2500, "
      "4000, 0, 1, 'cloud', 'eu', 250, '{\"a\":1}')");
  auto lease = storage().Acquire();
  const auto b = LoadBrokerById(*lease, 42);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->id, 42);
  EXPECT_EQ(b->name, "full");
  EXPECT_EQ(b->description, "desc");
  EXPECT_EQ(b->protocol, "wss");
  EXPECT_EQ(b->host, "h.example");
  EXPECT_EQ(b->port, 8443);
  EXPECT_EQ(b->path, "/mqtt");
  EXPECT_EQ(b->username, "svc");
  EXPECT_EQ(b->password, "pw");
  EXPECT_TRUE(b->use_tls);
  EXPECT_EQ(b->ca_cert, "CA");
  EXPECT_EQ(b->client_cert, "CERT");
  EXPECT_EQ(b->client_key, "KEY");
  EXPECT_FALSE(b->verify_certificate);
  EXPECT_EQ(b->client_id_prefix, "pfx-");
  EXPECT_EQ(b->keep_alive, 15);
  EXPECT_FALSE(b->clean_session);
  EXPECT_EQ(b->reconnect_period, 2500);
  EXPECT_EQ(b->connect_timeout, 4000);
  EXPECT_FALSE(b->is_active);
  EXPECT_TRUE(b->is_default);
  EXPECT_EQ(b->broker_type, "cloud");
  EXPECT_EQ(b->region, "eu");
  EXPECT_EQ(b->weight, 250);
  EXPECT_EQ(b->extra_config, "{\"a\":1}");
  EXPECT_TRUE(b->from_storage);
  EXPECT_EQ(DescribeBroker(*b), "'full' (id 42)");
}

TEST_P(BrokerRowsTest, NullsAndDefaultsReadAsTheDocumentedDefaults) {
  Exec("INSERT INTO mqtt_broker_config (id, name, host) VALUES (1, 'min', 'm.example')");
  auto lease = storage().Acquire();
  const auto b = LoadBrokerById(*lease, 1);
  ASSERT_TRUE(b);
  const BrokerConfig defaults;
  EXPECT_EQ(b->protocol, "mqtt");
  EXPECT_EQ(b->port, 1883);
  EXPECT_EQ(b->description, "");
  EXPECT_EQ(b->path, "");
  EXPECT_EQ(b->password, "");
  EXPECT_EQ(b->region, "");
  EXPECT_EQ(b->keep_alive, defaults.keep_alive);
  EXPECT_EQ(b->reconnect_period, defaults.reconnect_period);
  EXPECT_EQ(b->connect_timeout, defaults.connect_timeout);
  EXPECT_EQ(b->verify_certificate, defaults.verify_certificate);
  EXPECT_EQ(b->clean_session, defaults.clean_session);
  EXPECT_EQ(b->weight, defaults.weight);
  EXPECT_TRUE(b->is_active);
  EXPECT_FALSE(b->is_default);
  EXPECT_FALSE(LoadBrokerById(*lease, 2));
}

TEST_P(BrokerRowsTest, DefaultAndRegionQueries) {
  InsertBroker({.id = 3, .name = "c", .region = "eu"});
  InsertBroker({.id = 1, .name = "a", .region = "eu"});
  InsertBroker({.id = 2, .name = "off", .active = false, .region = "eu"});
  InsertBroker({.id = 4, .name = "us", .region = "us"});
  auto lease = storage().Acquire();
  EXPECT_FALSE(LoadDefaultBroker(*lease));
  const auto eu = LoadActiveBrokersInRegion(*lease, "eu");
  ASSERT_EQ(eu.size(), 2u);
  EXPECT_EQ(eu[0].id, 1);  // ordered by id, inactive excluded
  EXPECT_EQ(eu[1].id, 3);
  EXPECT_TRUE(LoadActiveBrokersInRegion(*lease, "EU").empty());  // exact match
  Exec("UPDATE mqtt_broker_config SET is_default = 1, is_active = 0 WHERE id = 2");
  const auto d = LoadDefaultBroker(*lease);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id, 2);  // returned even when inactive: the caller decides
}

SWITCHBOARD_BOTH_BACKENDS(BrokerRowsTest);

}  // namespace
}  // namespace switchboard
