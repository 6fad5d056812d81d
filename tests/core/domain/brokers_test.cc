#include "domain/brokers.h"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <functional>

#include "domain/domain_errors.h"
#include "domain_test_support.h"
#include "test_certificates.h"
#include "test_database.h"

namespace switchboard {
namespace {

using testing::CountRows;
using testing::DatabaseTest;
using testing::MinimalBroker;

class BrokersTest : public DatabaseTest {
 protected:
  Brokers& brokers() {
    if (!brokers_) brokers_ = std::make_unique<Brokers>(storage());
    return *brokers_;
  }

  // The field a ValidationError names for `input` (create), or "" when valid.
  std::string FieldOf(const BrokerInput& input) {
    try {
      ValidateBrokerInput(input, BrokerValidation::kCreate);
    } catch (const ValidationError& e) {
      return e.field();
    }
    return "";
  }

 private:
  std::unique_ptr<Brokers> brokers_;
};

TEST_P(BrokersTest, CreateAppliesDatabaseDefaults) {
  PublicBroker b = brokers().Create(MinimalBroker("local", "mqtt.local"));
  EXPECT_GT(b.id, 0);
  EXPECT_EQ(b.name, "local");
  EXPECT_EQ(b.host, "mqtt.local");
  EXPECT_EQ(b.protocol, "mqtt");
  EXPECT_EQ(b.port, 1883);
  EXPECT_FALSE(b.use_tls);
  EXPECT_TRUE(b.verify_certificate);
  EXPECT_EQ(b.keep_alive, 60);
  EXPECT_TRUE(b.clean_session);
  EXPECT_EQ(b.reconnect_period, 1000);
  EXPECT_EQ(b.connect_timeout, 30000);
  EXPECT_TRUE(b.is_active);
  EXPECT_FALSE(b.is_default);
  EXPECT_EQ(b.broker_type, "local");
  EXPECT_EQ(b.weight, 100);
  EXPECT_FALSE(b.has_password);
  EXPECT_FALSE(b.has_client_key);
  EXPECT_FALSE(b.has_extra_config);
  EXPECT_EQ(b.created_at.size(), 24u) << b.created_at;  // 2026-11-29T08:00:00.000Z
  EXPECT_EQ(b.created_at.back(), 'Z');
  EXPECT_EQ(b.updated_at, b.created_at);
  EXPECT_EQ(b.last_connected_at, "");
}

TEST_P(BrokersTest, CreateStoresEveryField) {
  BrokerInput in = MinimalBroker("cloud", "broker.example.com");
  in.description = "the cloud one";
  in.protocol = "wss";
  in.port = 443;
  in.path = "/mqtt";
  in.username = "server";
  in.password = "s3cret-password";
  in.use_tls = true;
  in.ca_cert = testing::kTestCaA;
  in.client_cert = "-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n";
  in.client_key = "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n";
  in.verify_certificate = false;
  in.client_id_prefix = "sb-";
  in.keep_alive = 30;
  in.clean_session = false;
  in.reconnect_period = 0;
  in.connect_timeout = 5000;
  in.is_active = false;
  in.is_default = true;
  in.broker_type = "cloud";
  in.region = "eu-west";
  in.weight = 7;
  in.extra_config = R"({"qos": 1})";
  const PublicBroker b = brokers().Create(in);
  const PublicBroker got = brokers().Get(b.id);
  EXPECT_EQ(got.description, "the cloud one");
  EXPECT_EQ(got.protocol, "wss");
  EXPECT_EQ(got.port, 443);
  EXPECT_EQ(got.path, "/mqtt");
  EXPECT_EQ(got.username, "server");
  EXPECT_TRUE(got.use_tls);
  EXPECT_EQ(got.ca_cert, *in.ca_cert);
  EXPECT_EQ(got.client_cert, *in.client_cert);
  EXPECT_FALSE(got.verify_certificate);
  EXPECT_EQ(got.client_id_prefix, "sb-");
  EXPECT_EQ(got.keep_alive, 30);
  EXPECT_FALSE(got.clean_session);
  EXPECT_EQ(got.reconnect_period, 0);
  EXPECT_EQ(got.connect_timeout, 5000);
  EXPECT_FALSE(got.is_active);
  EXPECT_TRUE(got.is_default);
  EXPECT_EQ(got.broker_type, "cloud");
  EXPECT_EQ(got.region, "eu-west");
  EXPECT_EQ(got.weight, 7);
  // Secrets: only their presence is visible...
  EXPECT_TRUE(got.has_password);
  EXPECT_TRUE(got.has_client_key);
  EXPECT_TRUE(got.has_extra_config);
  // ...and the server-side probe gets the values.
  const BrokerConfig secret = brokers().LoadWithSecretsForProbe(b.id);
  EXPECT_EQ(secret.password, "s3cret-password");
  EXPECT_EQ(secret.client_key, *in.client_key);
  EXPECT_EQ(secret.extra_config, *in.extra_config);
}

TEST_P(BrokersTest, ListIsOrderedById) {
  const auto a = brokers().Create(MinimalBroker("a"));
  const auto b = brokers().Create(MinimalBroker("b"));
  const auto list = brokers().List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, a.id);
  EXPECT_EQ(list[1].id, b.id);
  EXPECT_EQ(list[1].name, "b");
}

TEST_P(BrokersTest, GetUnknownIsNotFound) { EXPECT_THROW(brokers().Get(999), NotFound); }

TEST_P(BrokersTest, PartialUpdateChangesOnlyGivenFields) {
  BrokerInput in = MinimalBroker("edge-1", "edge.local");
  in.password = "pw";
  in.region = "eu";
  const auto created = brokers().Create(in);
  BrokerInput patch;
  patch.port = 8883;
  patch.protocol = "mqtts";
  patch.region = "";  // clears
  const auto updated = brokers().Update(created.id, patch);
  EXPECT_EQ(updated.port, 8883);
  EXPECT_EQ(updated.protocol, "mqtts");
  EXPECT_EQ(updated.region, "");
  EXPECT_EQ(updated.name, "edge-1");
  EXPECT_EQ(updated.host, "edge.local");
  // Moved (port, protocol) without the password: dropped, so a connection
  // test never sends it to the new place.
  EXPECT_FALSE(updated.has_password);
  EXPECT_GE(updated.updated_at, created.updated_at);
  EXPECT_EQ(CountRows(storage(), "mqtt_broker_config", "region IS NULL"), 1);

  BrokerInput password_again;
  password_again.password = "pw";
  ASSERT_TRUE(brokers().Update(created.id, password_again).has_password);
  BrokerInput not_moving;
  not_moving.region = "eu";
  not_moving.host = "edge.local";                                      // the same host is no move
  EXPECT_TRUE(brokers().Update(created.id, not_moving).has_password);  // untouched

  BrokerInput clear_password;
  clear_password.password = "";
  EXPECT_FALSE(brokers().Update(created.id, clear_password).has_password);
}

TEST_P(BrokersTest, UpdateRefreshesUpdatedAt) {
  const auto created = brokers().Create(MinimalBroker("t"));
  Exec("UPDATE mqtt_broker_config SET updated_at = '2000-01-01T00:00:00.000Z'");
  BrokerInput patch;
  patch.weight = 5;
  const auto updated = brokers().Update(created.id, patch);
  EXPECT_GT(updated.updated_at, std::string("2000-01-01T00:00:00.000Z"));
  EXPECT_EQ(updated.created_at, created.created_at);
}

TEST_P(BrokersTest, UpdateUnknownIsNotFound) {
  BrokerInput patch;
  patch.port = 1;
  EXPECT_THROW(brokers().Update(42, patch), NotFound);
}

TEST_P(BrokersTest, SettingDefaultClearsThePreviousDefault) {
  BrokerInput first = MinimalBroker("first");
  first.is_default = true;
  const auto a = brokers().Create(first);
  BrokerInput second = MinimalBroker("second");
  second.is_default = true;
  const auto b = brokers().Create(second);  // on create
  EXPECT_FALSE(brokers().Get(a.id).is_default);
  EXPECT_TRUE(brokers().Get(b.id).is_default);

  BrokerInput make_default;
  make_default.is_default = true;
  brokers().Update(a.id, make_default);  // on update
  EXPECT_TRUE(brokers().Get(a.id).is_default);
  EXPECT_FALSE(brokers().Get(b.id).is_default);
  EXPECT_EQ(CountRows(storage(), "mqtt_broker_config", "is_default = 1"), 1);

  // Making the default the default again keeps it.
  brokers().Update(a.id, make_default);
  EXPECT_TRUE(brokers().Get(a.id).is_default);
}

TEST_P(BrokersTest, DefaultSwitchIsOneTransaction) {
  BrokerInput first = MinimalBroker("first");
  first.is_default = true;
  const auto a = brokers().Create(first);
  // A failing update that also asks to become the default (its name is
  // taken) must leave the old default in place.
  const auto b = brokers().Create(MinimalBroker("second"));
  BrokerInput bad;
  bad.is_default = true;
  bad.name = "first";
  EXPECT_THROW(brokers().Update(b.id, bad), Conflict);
  EXPECT_TRUE(brokers().Get(a.id).is_default);
  EXPECT_FALSE(brokers().Get(b.id).is_default);
}

TEST_P(BrokersTest, NameConflicts) {
  brokers().Create(MinimalBroker("dup"));
  EXPECT_THROW(brokers().Create(MinimalBroker("dup")), Conflict);
  const auto other = brokers().Create(MinimalBroker("other"));
  BrokerInput rename;
  rename.name = "dup";
  EXPECT_THROW(brokers().Update(other.id, rename), Conflict);
  rename.name = "other";  // its own name is not a conflict
  EXPECT_NO_THROW(brokers().Update(other.id, rename));
}

TEST_P(BrokersTest, DeleteInUseIsConflictNamingCounts) {
  const auto b = brokers().Create(MinimalBroker("used"));
  const std::string id = std::to_string(b.id);
  Exec("INSERT INTO fleets (id, name, mqtt_broker_id) VALUES ('f', 'f', " + id + ")");
  for (int i = 0; i < 2; ++i) {
    Exec(
        "INSERT INTO devices (uuid, device_name, device_type, api_key_hash, mqtt_broker_id) "
        "VALUES ('u" +
        std::to_string(i) + "', 'd', 't', 'h', " + id + ")");
  }
  try {
    brokers().Delete(b.id);
    FAIL() << "expected Conflict";
  } catch (const Conflict& e) {
    EXPECT_NE(std::string(e.what()).find("2 devices"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("1 fleet"), std::string::npos) << e.what();
  }
  EXPECT_EQ(CountRows(storage(), "mqtt_broker_config"), 1);
}

TEST_P(BrokersTest, DeleteUnused) {
  const auto b = brokers().Create(MinimalBroker("unused"));
  brokers().Delete(b.id);
  EXPECT_THROW(brokers().Get(b.id), NotFound);
  EXPECT_THROW(brokers().Delete(b.id), NotFound);
}

TEST_P(BrokersTest, SummaryCountsExplicitAssignments) {
  const auto a = brokers().Create(MinimalBroker("a"));
  const auto b = brokers().Create(MinimalBroker("b"));
  const std::string id = std::to_string(a.id);
  Exec(
      "INSERT INTO devices (uuid, device_name, device_type, api_key_hash, mqtt_broker_id) "
      "VALUES ('u1', 'd', 't', 'h', " +
      id + ")");
  Exec(
      "INSERT INTO devices (uuid, device_name, device_type, api_key_hash) "
      "VALUES ('u2', 'd', 't', 'h')");
  Exec("INSERT INTO fleets (id, name, mqtt_broker_id) VALUES ('f', 'f', " + id + ")");
  const auto summary = brokers().Summary();
  ASSERT_EQ(summary.size(), 2u);
  EXPECT_EQ(summary[0].id, a.id);
  EXPECT_EQ(summary[0].name, "a");
  EXPECT_EQ(summary[0].device_count, 1);
  EXPECT_EQ(summary[0].fleet_count, 1);
  EXPECT_EQ(summary[1].id, b.id);
  EXPECT_EQ(summary[1].device_count, 0);
}

// Every constraint of mqtt_broker_config, with the JSON field name.
TEST_P(BrokersTest, ValidationNamesTheField) {
  struct Case {
    const char* field;
    std::function<void(BrokerInput&)> spoil;
  };
  const std::vector<Case> cases = {
      {"name", [](BrokerInput& b) { b.name.reset(); }},
      {"name", [](BrokerInput& b) { b.name = ""; }},
      {"name", [](BrokerInput& b) { b.name = std::string(256, 'n'); }},
      {"host", [](BrokerInput& b) { b.host.reset(); }},
      {"host", [](BrokerInput& b) { b.host = ""; }},
      {"host", [](BrokerInput& b) { b.host = std::string(256, 'h'); }},
      {"host", [](BrokerInput& b) { b.host = "bad host"; }},
      {"host", [](BrokerInput& b) { b.host = "[::1]"; }},
      // Not host names: devices would be handed mqtt://-:1883.
      {"host", [](BrokerInput& b) { b.host = "-"; }},
      {"host", [](BrokerInput& b) { b.host = "."; }},
      {"host", [](BrokerInput& b) { b.host = "a..b"; }},
      {"host", [](BrokerInput& b) { b.host = ".example.com"; }},
      {"host", [](BrokerInput& b) { b.host = "-broker.example.com"; }},
      {"host", [](BrokerInput& b) { b.host = "broker-.example.com"; }},
      {"host", [](BrokerInput& b) { b.host = std::string(64, 'a') + ".com"; }},
      {"host", [](BrokerInput& b) { b.host = "::1::2"; }},
      {"host", [](BrokerInput& b) { b.host = "fe80::1%eth0"; }},
      {"protocol", [](BrokerInput& b) { b.protocol = "http"; }},
      {"protocol", [](BrokerInput& b) { b.protocol = "MQTT"; }},
      {"port", [](BrokerInput& b) { b.port = 0; }},
      {"port", [](BrokerInput& b) { b.port = 65536; }},
      {"keep_alive", [](BrokerInput& b) { b.keep_alive = 0; }},
      {"keep_alive", [](BrokerInput& b) { b.keep_alive = 1LL << 40; }},
      {"keep_alive", [](BrokerInput& b) { b.keep_alive = 65536; }},  // MQTT's is 16 bits
      // Per-field caps, whatever the body limit lets through.
      {"description", [](BrokerInput& b) { b.description = std::string(1001, 'd'); }},
      {"region", [](BrokerInput& b) { b.region = std::string(8 * 1024 * 1024, 'r'); }},
      {"username", [](BrokerInput& b) { b.username = std::string(256, 'u'); }},
      {"password", [](BrokerInput& b) { b.password = std::string(1025, 'p'); }},
      {"path", [](BrokerInput& b) { b.path = "/" + std::string(255, 'p'); }},
      {"client_id_prefix", [](BrokerInput& b) { b.client_id_prefix = std::string(65, 'c'); }},
      {"ca_cert", [](BrokerInput& b) { b.ca_cert = std::string(256 * 1024 + 1, 'c'); }},
      {"client_cert", [](BrokerInput& b) { b.client_cert = std::string(64 * 1024 + 1, 'c'); }},
      {"client_key", [](BrokerInput& b) { b.client_key = std::string(64 * 1024 + 1, 'k'); }},
      {"extra_config",
       [](BrokerInput& b) { b.extra_config = "\"" + std::string(64 * 1024, 'x') + "\""; }},
      {"reconnect_period", [](BrokerInput& b) { b.reconnect_period = -1; }},
      {"connect_timeout", [](BrokerInput& b) { b.connect_timeout = 0; }},
      {"broker_type", [](BrokerInput& b) { b.broker_type = "fog"; }},
      {"weight", [](BrokerInput& b) { b.weight = 0; }},
      {"weight", [](BrokerInput& b) { b.weight = -3; }},
      {"extra_config", [](BrokerInput& b) { b.extra_config = "{not json"; }},
      {"extra_config", [](BrokerInput& b) { b.extra_config = "{} trailing"; }},
      {"path", [](BrokerInput& b) { b.path = "mqtt"; }},
      {"description", [](BrokerInput& b) { b.description = std::string("a\0b", 3); }},
      {"ca_cert", [](BrokerInput& b) { b.ca_cert = "\xff\xfe"; }},
  };
  for (const auto& c : cases) {
    BrokerInput in = MinimalBroker("valid");
    c.spoil(in);
    EXPECT_EQ(FieldOf(in), c.field) << "case for " << c.field;
    // And the service refuses it before writing anything.
    EXPECT_THROW(brokers().Create(in), ValidationError) << c.field;
  }
  EXPECT_EQ(CountRows(storage(), "mqtt_broker_config"), 0);

  // The limits themselves are valid.
  BrokerInput edge = MinimalBroker(std::string(255, 'n'), std::string(255, 'h'));
  edge.port = 65535;
  edge.keep_alive = 65535;
  edge.reconnect_period = 0;
  edge.connect_timeout = 1;
  edge.weight = 1;
  edge.extra_config = "[1, {\"a\": null}]";
  edge.host = "2001:db8::1";
  edge.region = std::string(255, 'r');
  edge.description = std::string(1000, 'd');
  edge.client_id_prefix = std::string(64, 'c');
  EXPECT_EQ(FieldOf(edge), "");
  EXPECT_NO_THROW(brokers().Create(edge));
  const std::string longest_label(63, 'a');
  for (const std::string& host :
       std::vector<std::string>{"a", "mqtt-1.example.com", "mqtt.example.com.", "10.0.0.1",
                                "broker_internal", "::ffff:10.0.0.1", longest_label}) {
    BrokerInput named = MinimalBroker("named", host);
    EXPECT_EQ(FieldOf(named), "") << host;
  }
  // Length is counted in characters, as the database does: 255 × 'é' fits.
  std::string accents;
  for (int i = 0; i < 255; ++i) accents += "\xc3\xa9";
  EXPECT_NO_THROW(brokers().Create(MinimalBroker(accents)));
}

TEST_P(BrokersTest, UpdateValidatesToo) {
  const auto b = brokers().Create(MinimalBroker("v"));
  BrokerInput patch;
  patch.port = 70000;
  try {
    brokers().Update(b.id, patch);
    FAIL() << "expected ValidationError";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), "port");
  }
  BrokerInput empty_name;
  empty_name.name = "";
  EXPECT_THROW(brokers().Update(b.id, empty_name), ValidationError);
}

// The public view cannot carry the secrets: it has no field for them.
template <typename T>
concept HasPassword = requires(T t) {
  t.password;
};
template <typename T>
concept HasClientKey = requires(T t) {
  t.client_key;
};
template <typename T>
concept HasExtraConfig = requires(T t) {
  t.extra_config;
};
static_assert(HasPassword<BrokerConfig> && !HasPassword<PublicBroker>);
static_assert(HasClientKey<BrokerConfig> && !HasClientKey<PublicBroker>);
static_assert(HasExtraConfig<BrokerConfig> && !HasExtraConfig<PublicBroker>);

TEST_P(BrokersTest, ErrorsCarryNoSecrets) {
  BrokerInput in = MinimalBroker("x");
  in.password = "pa55word-secret";
  in.extra_config = "{\"token\": \"pa55word-secret\"";  // invalid JSON with a secret inside
  try {
    brokers().Create(in);
    FAIL() << "expected ValidationError";
  } catch (const ValidationError& e) {
    EXPECT_EQ(std::string(e.what()).find("pa55word"), std::string::npos) << e.what();
  }
}

SWITCHBOARD_BOTH_BACKENDS(BrokersTest);

}  // namespace
}  // namespace switchboard
