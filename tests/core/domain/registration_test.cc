// Device registration and the device's MQTT view (provisioning.h), on both
// backends, with real chains built from the built-in plugins and the domain
// fixture plugin.
#include <gtest/gtest.h>
#include <soci/soci.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>

#include "capturing_logger.h"
#include "domain/brokers.h"
#include "domain/device_reports.h"
#include "domain/devices.h"
#include "domain/domain_errors.h"
#include "domain/failover_entries.h"
#include "domain/provisioning.h"
#include "domain/provisioning_keys.h"
#include "domain_test_support.h"
#include "storage/broker_rows.h"
#include "storage/config_snapshot.h"
#include "storage/session_cache.h"
#include "test_certificates.h"
#include "test_database.h"
#include "util/crypto.h"

namespace switchboard {
namespace {

using testing::CountAll;
using testing::CountRows;
using testing::DatabaseTest;
using testing::DomainChain;
using testing::MinimalBroker;
using testing::RowCounts;
using testing::TestUuid;

// The answer of a call expected to resolve. A refusal fails the test and
// throws, so the test stops there.
template <typename T>
T Answer(OrRefusal<T> outcome) {
  if (outcome.refused()) {
    ADD_FAILURE() << "refused (" << DomainCodeName(outcome.refusal().code)
                  << "): " << outcome.refusal().message;
    throw std::runtime_error("unexpected refusal");
  }
  return std::move(outcome.value());
}

constexpr char kDeviceThenDefault[] = "    - plugin: device\n    - plugin: default\n";

class RegistrationTest : public DatabaseTest {
 protected:
  ProvisioningService& service() {
    if (!service_) service_ = std::make_unique<ProvisioningService>(storage(), topics_, log_);
    return *service_;
  }

  std::string CreateKey(std::optional<std::int64_t> max_devices = std::nullopt,
                        const std::string& fleet = "fleet-1") {
    ProvisioningKeys keys(storage());
    ProvisioningKeyRequest request;
    request.fleet_id = fleet;
    request.max_devices = max_devices;
    return keys.Create(request).key;
  }

  // A default TLS broker with every secret set.
  PublicBroker CreateDefaultBroker() {
    BrokerInput in = MinimalBroker("main", "mqtt.example.com");
    in.protocol = "mqtts";
    in.port = 8883;
    in.use_tls = true;
    in.ca_cert = testing::kTestCaA;
    in.client_id_prefix = "sb-";
    in.username = "server-user";
    in.password = "broker-secret-password";
    in.client_key = "-----BEGIN PRIVATE KEY-----\nK\n-----END PRIVATE KEY-----\n";
    in.extra_config = "{\"secret\": true}";
    in.is_default = true;
    return Brokers(storage()).Create(in);
  }

  static RegistrationRequest Request(int n, const std::string& api_key = "device-api-key-0001") {
    RegistrationRequest r;
    r.uuid = TestUuid(n);
    r.device_name = "device " + std::to_string(n);
    r.device_type = "sensor";
    r.device_api_key = api_key;
    return r;
  }

  ProvisioningConfig topics_;
  NullLogger log_;

 private:
  std::unique_ptr<ProvisioningService> service_;
};

TEST_P(RegistrationTest, HappyPathFieldByField) {
  CreateDefaultBroker();
  const std::string key = CreateKey(10);
  auto chain = DomainChain(kDeviceThenDefault);
  RegistrationRequest request = Request(1);
  request.uuid = "ABCDEF01-2345-4678-9ABC-DEF012345678";
  request.region = "eu-west";
  request.mac_address = "aa:bb:cc:dd:ee:ff";
  request.os_version = "Debian 12";
  request.agent_version = "1.2.3";
  const std::string uuid = "abcdef01-2345-4678-9abc-def012345678";

  const RegistrationResult r = Answer(service().Register(*chain, key, request));
  EXPECT_GT(r.id, 0);
  EXPECT_EQ(r.uuid, uuid);  // stored lowercase
  EXPECT_EQ(r.device_name, "device 1");
  EXPECT_EQ(r.device_type, "sensor");
  EXPECT_EQ(r.fleet_id, "fleet-1");
  EXPECT_EQ(r.created_at.size(), 24u);
  EXPECT_FALSE(r.retried);
  EXPECT_EQ(r.mqtt.username, "device_" + uuid);
  EXPECT_EQ(r.mqtt.password.size(), 32u);  // 24 random bytes
  EXPECT_EQ(r.mqtt.broker, "mqtts://mqtt.example.com:8883");
  ASSERT_TRUE(r.mqtt.broker_config.has_value());
  EXPECT_EQ(r.mqtt.broker_config->protocol, "mqtts");
  EXPECT_EQ(r.mqtt.broker_config->host, "mqtt.example.com");
  EXPECT_EQ(r.mqtt.broker_config->port, 8883);
  EXPECT_TRUE(r.mqtt.broker_config->use_tls);
  EXPECT_EQ(r.mqtt.broker_config->client_id_prefix, "sb-");
  EXPECT_NE(r.mqtt.broker_config->ca_cert.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_EQ(r.mqtt.publish_topics, std::vector<std::string>{"iot/device/" + uuid + "/#"});
  EXPECT_EQ(r.mqtt.subscribe_topics, std::vector<std::string>{"iot/device/" + uuid + "/#"});
  EXPECT_EQ(r.mqtt.resolved_by, "default");
  ASSERT_EQ(r.mqtt.trace.size(), 2u);
  EXPECT_EQ(r.mqtt.trace[0].plugin, "device");
  EXPECT_EQ(r.mqtt.trace[0].outcome, TraceStep::Outcome::kPass);
  EXPECT_EQ(r.mqtt.trace[1].outcome, TraceStep::Outcome::kResolved);

  // What was stored.
  Storage::Lease lease = storage().Acquire();
  std::string api_key_hash, region, mac, os, agent, fleet;
  long long key_id = 0;
  *lease << "SELECT api_key_hash, region, mac_address, os_version, agent_version, fleet_id, "
            "provisioned_by_key_id FROM devices WHERE uuid = :u",
      soci::use(uuid), soci::into(api_key_hash), soci::into(region), soci::into(mac),
      soci::into(os), soci::into(agent), soci::into(fleet), soci::into(key_id);
  EXPECT_TRUE(VerifyDeviceApiKey("device-api-key-0001", api_key_hash));
  EXPECT_EQ(api_key_hash.find("device-api-key-0001"), std::string::npos);
  EXPECT_EQ(region, "eu-west");
  EXPECT_EQ(mac, "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(os, "Debian 12");
  EXPECT_EQ(agent, "1.2.3");
  EXPECT_EQ(fleet, "fleet-1");
  EXPECT_GT(key_id, 0);

  std::string password_hash;
  long long device_id = 0;
  int active = 0;
  *lease << "SELECT password_hash, device_id, is_active FROM mqtt_users WHERE username = :u",
      soci::use(r.mqtt.username), soci::into(password_hash), soci::into(device_id),
      soci::into(active);
  EXPECT_TRUE(VerifyMosquittoPassword(r.mqtt.password, password_hash));
  EXPECT_EQ(password_hash.rfind("$7$101$", 0), 0u) << password_hash;
  EXPECT_EQ(device_id, r.id);
  EXPECT_EQ(active, 1);

  std::string topic, access;
  *lease << "SELECT topic, access FROM mqtt_acls WHERE username = :u", soci::use(r.mqtt.username),
      soci::into(topic), soci::into(access);
  EXPECT_EQ(topic, "iot/device/" + uuid + "/#");
  EXPECT_EQ(access, "readwrite");

  long long provisioned = 0;
  std::string last_used;
  *lease << "SELECT devices_provisioned, last_used_at FROM provisioning_keys",
      soci::into(provisioned), soci::into(last_used);
  EXPECT_EQ(provisioned, 1);
  EXPECT_EQ(last_used.size(), 24u);
}

TEST_P(RegistrationTest, AclRowsFollowTheTopicTemplates) {
  topics_.publish_topics = {"up/{uuid}", "both/{uuid}/#", "up/{uuid}"};
  topics_.subscribe_topics = {"both/{uuid}/#", "down/{uuid}"};
  CreateDefaultBroker();
  auto chain = DomainChain(kDeviceThenDefault);
  const auto r = Answer(service().Register(*chain, CreateKey(), Request(1)));
  const std::string u = TestUuid(1);
  EXPECT_EQ(r.mqtt.publish_topics, (std::vector<std::string>{"up/" + u, "both/" + u + "/#"}));
  EXPECT_EQ(r.mqtt.subscribe_topics, (std::vector<std::string>{"both/" + u + "/#", "down/" + u}));
  EXPECT_EQ(CountRows(storage(), "mqtt_acls"), 3);
  EXPECT_EQ(CountRows(storage(), "mqtt_acls", "topic = 'up/" + u + "' AND access = 'write'"), 1);
  EXPECT_EQ(
      CountRows(storage(), "mqtt_acls", "topic = 'both/" + u + "/#' AND access = 'readwrite'"), 1);
  EXPECT_EQ(CountRows(storage(), "mqtt_acls", "topic = 'down/" + u + "' AND access = 'read'"), 1);
}

// On PostgreSQL the ACL rows travel as one JSON array inside the insert
// statement (registration_writes.cc): whatever a topic holds comes back as is.
TEST_P(RegistrationTest, AclTopicsAreStoredVerbatim) {
  const std::vector<std::string> odd = {"quote\"/{uuid}", "back\\slash/{uuid}",
                                        "caf\u00e9/\u6e29\u5ea6/{uuid}", "tab\t'apos'/{uuid}"};
  topics_.publish_topics = odd;
  topics_.subscribe_topics = {};
  CreateDefaultBroker();
  auto chain = DomainChain(kDeviceThenDefault);
  const auto r = Answer(service().Register(*chain, CreateKey(), Request(1)));
  Storage::Lease lease = storage().Acquire();
  std::vector<std::string> stored(10);
  *lease << "SELECT topic FROM mqtt_acls WHERE username = :u ORDER BY id",
      soci::use(r.mqtt.username), soci::into(stored);
  std::vector<std::string> expected;
  for (std::string topic : odd) {
    expected.push_back(topic.replace(topic.find("{uuid}"), 6, TestUuid(1)));
  }
  EXPECT_EQ(stored, expected);
}

// The chain of a registration reads brokers from the cache, which the key
// lookup brings up to date before the write transaction: a broker changed
// on another session is seen by the very next registration, and an
// unchanged one is not loaded again.
TEST_P(RegistrationTest, ChainReadsTheCurrentBrokerThroughTheCache) {
  const PublicBroker broker = CreateDefaultBroker();
  const std::string key = CreateKey();
  auto chain = DomainChain(kDeviceThenDefault);
  EXPECT_EQ(Answer(service().Register(*chain, key, Request(1))).mqtt.broker,
            "mqtts://mqtt.example.com:8883");
  const std::int64_t loads = storage().config_snapshots().loads();
  EXPECT_EQ(Answer(service().Register(*chain, key, Request(2))).mqtt.broker,
            "mqtts://mqtt.example.com:8883");
  EXPECT_EQ(storage().config_snapshots().loads(), loads);

  {
    Storage::Lease lease = storage().Acquire();
    *lease << "UPDATE mqtt_broker_config SET host = 'moved.example.com' WHERE id = :id",
        soci::use(static_cast<long long>(broker.id));
  }
  EXPECT_EQ(Answer(service().Register(*chain, key, Request(3))).mqtt.broker,
            "mqtts://moved.example.com:8883");
  EXPECT_EQ(storage().config_snapshots().loads(), loads + 1);
}

// On PostgreSQL the registration that brings the count of new devices to
// the threshold analyses mqtt_users and mqtt_acls (registration_writes.h:
// plans made while they were empty are slow); retries do not count, and
// on SQLite nothing is analysed.
TEST_P(RegistrationTest, AnalysesTheAccessTablesOnceAfterTheFirstRegistrations) {
  CreateDefaultBroker();
  const std::string key = CreateKey();
  auto chain = DomainChain(kDeviceThenDefault);
  testing::CapturingLogger log;
  ProvisioningService service(storage(), topics_, log, /*analyze_after=*/3);
  const bool postgresql = backend() == "postgresql";
  // PostgreSQL: pg_class.reltuples is -1 until the table is first analysed
  // (autovacuum waits for 50 changed rows). SQLite: ANALYZE would create
  // sqlite_stat1.
  auto analysed = [&] {
    Storage::Lease lease = storage().Acquire();
    double reltuples = -1;
    int stat_tables = 0;
    if (postgresql) {
      *lease << "SELECT reltuples FROM pg_class WHERE oid = 'mqtt_users'::regclass",
          soci::into(reltuples);
      return reltuples >= 0;
    }
    *lease << "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'",
        soci::into(stat_tables);
    return stat_tables > 0;
  };

  Answer(service.Register(*chain, key, Request(1)));
  Answer(service.Register(*chain, key, Request(1)));  // an idempotent retry: not a new device
  Answer(service.Register(*chain, key, Request(2)));
  EXPECT_FALSE(analysed());
  EXPECT_TRUE(log.lines().empty());

  Answer(service.Register(*chain, key, Request(3)));
  EXPECT_EQ(analysed(), postgresql);
  if (postgresql) {
    ASSERT_EQ(log.lines().size(), 1u);
    EXPECT_EQ(log.lines()[0],
              "INFO analysed mqtt_users and mqtt_acls after 3 registrations (fresh plans for "
              "their foreign-key checks)");
  }

  // Once per instance: later registrations do not analyse again.
  Answer(service.Register(*chain, key, Request(4)));
  Answer(service.Register(*chain, key, Request(5)));
  EXPECT_EQ(log.lines().size(), postgresql ? 1u : 0u);
}

TEST_P(RegistrationTest, EnvBrokerHasNoBrokerConfig) {
  auto chain = DomainChain(
      "    - plugin: env\n      params: { variable: SWITCHBOARD_DOMAIN_TEST_UNSET, fallback: "
      "\"mqtt://env.example:1883\" }\n");
  const auto r = Answer(service().Register(*chain, CreateKey(), Request(1)));
  EXPECT_EQ(r.mqtt.broker, "mqtt://env.example:1883");
  EXPECT_FALSE(r.mqtt.broker_config.has_value());
  EXPECT_EQ(r.mqtt.resolved_by, "env");
}

TEST_P(RegistrationTest, ChainSeesTheNewDeviceRowInsideTheTransaction) {
  auto chain = DomainChain("    - plugin: domain_fixture\n");
  const auto r = Answer(service().Register(*chain, CreateKey(), Request(1)));
  EXPECT_EQ(r.mqtt.resolved_by, "fixture");
  EXPECT_EQ(r.mqtt.broker, "mqtt://device-row.example:1883");
}

// On PostgreSQL a failing statement aborts the transaction; the next step
// and the commit must still work (savepoint in TransactionResolveContext).
TEST_P(RegistrationTest, FailingStepSqlDoesNotPoisonTheTransaction) {
  CreateDefaultBroker();
  auto chain = DomainChain(
      "    - plugin: domain_fixture\n      params: { name: broken, mode: bad_sql }\n"
      "    - plugin: default\n");
  const auto r = Answer(service().Register(*chain, CreateKey(), Request(1)));
  ASSERT_EQ(r.mqtt.trace.size(), 2u);
  EXPECT_EQ(r.mqtt.trace[0].outcome, TraceStep::Outcome::kError);
  EXPECT_EQ(r.mqtt.resolved_by, "default");
  EXPECT_EQ(CountRows(storage(), "devices"), 1);
  EXPECT_EQ(CountRows(storage(), "mqtt_users"), 1);
  EXPECT_EQ(CountRows(storage(), "provisioning_keys", "devices_provisioned = 1"), 1);
}

// The key is checked again when the device is counted, at the end of the
// transaction (on PostgreSQL in the same round trip as the COMMIT): a key
// revoked or used up meanwhile refuses the registration and nothing stays.
TEST_P(RegistrationTest, KeyRevokedOrExhaustedDuringTheRegistrationRefusesIt) {
  CreateDefaultBroker();
  for (const std::string mode : {"revoke_key", "exhaust_key"}) {
    SCOPED_TRACE(mode);
    const std::string key = CreateKey(5);
    auto chain = DomainChain("    - plugin: domain_fixture\n      params: { mode: " + mode +
                             " }\n    - plugin: default\n");
    const RowCounts before = CountAll(storage());
    EXPECT_THROW(Answer(service().Register(*chain, key, Request(1))), Forbidden);
    EXPECT_EQ(CountAll(storage()), before);
    // The session is usable afterwards, and the key (the revocation rolled
    // back with the registration) still registers.
    auto plain = DomainChain(kDeviceThenDefault);
    EXPECT_NO_THROW(Answer(service().Register(*plain, key, Request(2))));
    Exec("DELETE FROM devices");
    Exec("DELETE FROM mqtt_users");
  }
}

TEST_P(RegistrationTest, IdempotentRetry) {
  CreateDefaultBroker();
  const std::string key = CreateKey(5);
  auto chain = DomainChain(kDeviceThenDefault);
  const auto first = Answer(service().Register(*chain, key, Request(1)));
  const RowCounts before = CountAll(storage());
  RegistrationRequest again = Request(1);
  again.uuid = TestUuid(1);
  again.device_name = "a new name is ignored";
  const auto second = Answer(service().Register(*chain, key, again));
  EXPECT_TRUE(second.retried);
  EXPECT_EQ(second.id, first.id);
  EXPECT_EQ(second.device_name, first.device_name);
  EXPECT_EQ(second.created_at, first.created_at);
  EXPECT_EQ(second.mqtt.username, first.mqtt.username);
  EXPECT_NE(second.mqtt.password, first.mqtt.password);
  EXPECT_EQ(CountAll(storage()), before);  // counter unchanged, no new rows

  Storage::Lease lease = storage().Acquire();
  std::string hash;
  *lease << "SELECT password_hash FROM mqtt_users", soci::into(hash);
  EXPECT_TRUE(VerifyMosquittoPassword(second.mqtt.password, hash));
  EXPECT_FALSE(VerifyMosquittoPassword(first.mqtt.password, hash));
}

TEST_P(RegistrationTest, DifferentApiKeyIsConflict) {
  CreateDefaultBroker();
  const std::string key = CreateKey();
  auto chain = DomainChain(kDeviceThenDefault);
  Answer(service().Register(*chain, key, Request(1)));
  const RowCounts before = CountAll(storage());
  EXPECT_THROW(Answer(service().Register(*chain, key, Request(1, "another-api-key-9999"))),
               Conflict);
  EXPECT_EQ(CountAll(storage()), before);
}

TEST_P(RegistrationTest, ExhaustedKeyIsForbiddenButRetriesStillWork) {
  CreateDefaultBroker();
  const std::string key = CreateKey(1);
  auto chain = DomainChain(kDeviceThenDefault);
  Answer(service().Register(*chain, key, Request(1)));
  try {
    Answer(service().Register(*chain, key, Request(2)));
    FAIL() << "expected Forbidden";
  } catch (const Forbidden& e) {
    EXPECT_NE(std::string(e.what()).find("exhausted"), std::string::npos) << e.what();
  }
  EXPECT_EQ(CountRows(storage(), "devices"), 1);
  EXPECT_NO_THROW(Answer(service().Register(*chain, key, Request(1))));  // the lost-response retry
}

TEST_P(RegistrationTest, ExpiredAndRevokedKeysAreForbidden) {
  CreateDefaultBroker();
  auto chain = DomainChain(kDeviceThenDefault);
  const std::string expired = CreateKey(std::nullopt, "f-expired");
  Exec(
      "UPDATE provisioning_keys SET expires_at = '2000-01-01T00:00:00.000Z' "
      "WHERE fleet_id = 'f-expired'");
  try {
    Answer(service().Register(*chain, expired, Request(1)));
    FAIL();
  } catch (const Forbidden& e) {
    EXPECT_NE(std::string(e.what()).find("expired"), std::string::npos) << e.what();
  }
  const std::string revoked = CreateKey(std::nullopt, "f-revoked");
  Exec("UPDATE provisioning_keys SET is_active = 0 WHERE fleet_id = 'f-revoked'");
  try {
    Answer(service().Register(*chain, revoked, Request(1)));
    FAIL();
  } catch (const Forbidden& e) {
    EXPECT_NE(std::string(e.what()).find("revoked"), std::string::npos) << e.what();
  }
  EXPECT_EQ(CountRows(storage(), "devices"), 0);
}

TEST_P(RegistrationTest, UnknownKeyIsUnauthorized) {
  CreateDefaultBroker();
  CreateKey();
  auto chain = DomainChain(kDeviceThenDefault);
  EXPECT_THROW(Answer(service().Register(*chain, RandomToken(32), Request(1))), Unauthorized);
  EXPECT_THROW(Answer(service().Register(*chain, "", Request(1))), Unauthorized);
  EXPECT_EQ(CountRows(storage(), "devices"), 0);
}

TEST_P(RegistrationTest, InvalidFieldsWriteNothing) {
  CreateDefaultBroker();
  const std::string key = CreateKey();
  auto chain = DomainChain(kDeviceThenDefault);
  const RowCounts before = CountAll(storage());
  struct Case {
    const char* field;
    std::function<void(RegistrationRequest&)> spoil;
  };
  const std::vector<Case> cases = {
      {"uuid", [](RegistrationRequest& r) { r.uuid = ""; }},
      {"uuid", [](RegistrationRequest& r) { r.uuid = "not-a-uuid"; }},
      {"uuid", [](RegistrationRequest& r) { r.uuid = "00000000000040008000000000000001"; }},
      {"uuid", [](RegistrationRequest& r) { r.uuid = "0000000g-0000-4000-8000-000000000001"; }},
      {"uuid", [](RegistrationRequest& r) { r.uuid = TestUuid(1) + "0"; }},
      {"deviceName", [](RegistrationRequest& r) { r.device_name = ""; }},
      {"deviceName", [](RegistrationRequest& r) { r.device_name = std::string(256, 'n'); }},
      {"deviceName", [](RegistrationRequest& r) { r.device_name = "line\nbreak"; }},
      {"deviceType", [](RegistrationRequest& r) { r.device_type = ""; }},
      {"deviceType", [](RegistrationRequest& r) { r.device_type = std::string(129, 't'); }},
      {"deviceApiKey", [](RegistrationRequest& r) { r.device_api_key = ""; }},
      {"deviceApiKey", [](RegistrationRequest& r) { r.device_api_key = std::string(15, 'k'); }},
      {"deviceApiKey", [](RegistrationRequest& r) { r.device_api_key = std::string(257, 'k'); }},
      {"region", [](RegistrationRequest& r) { r.region = std::string(256, 'r'); }},
      {"macAddress", [](RegistrationRequest& r) { r.mac_address = std::string(65, 'm'); }},
      {"osVersion", [](RegistrationRequest& r) { r.os_version = std::string(256, 'o'); }},
      {"agentVersion", [](RegistrationRequest& r) { r.agent_version = std::string(256, 'a'); }},
  };
  for (const auto& c : cases) {
    RegistrationRequest r = Request(1);
    c.spoil(r);
    try {
      Answer(service().Register(*chain, key, r));
      ADD_FAILURE() << "accepted a bad " << c.field;
    } catch (const ValidationError& e) {
      EXPECT_EQ(e.field(), c.field);
      EXPECT_EQ(std::string(e.what()).find("device-api-key"), std::string::npos);
    }
    EXPECT_EQ(CountAll(storage()), before) << c.field;
  }
  // The limits themselves pass.
  RegistrationRequest edge = Request(2);
  edge.device_name = std::string(255, 'n');
  edge.device_type = std::string(128, 't');
  edge.device_api_key = std::string(16, 'k');
  EXPECT_NO_THROW(Answer(service().Register(*chain, key, edge)));
}

TEST_P(RegistrationTest, ChainRejectIsARefusalAndWritesNothing) {
  const std::string key = CreateKey(3);
  auto chain = DomainChain("    - plugin: domain_fixture\n      params: { mode: reject }\n");
  const RowCounts before = CountAll(storage());
  const OrRefusal<RegistrationResult> outcome = service().Register(*chain, key, Request(1));
  ASSERT_TRUE(outcome.refused());
  const ChainRefusal& refusal = outcome.refusal();
  EXPECT_EQ(refusal.code, DomainCode::kRefused);
  EXPECT_EQ(refusal.message.find("rejected by the resolution chain (plugin/fixture): "), 0u)
      << refusal.message;
  EXPECT_NE(refusal.message.find("fixture rejects"), std::string::npos) << refusal.message;
  ASSERT_EQ(refusal.resolution.trace.size(), 1u);  // the trace travels with the refusal
  EXPECT_EQ(refusal.resolution.trace[0].outcome, TraceStep::Outcome::kReject);
  EXPECT_EQ(CountAll(storage()), before);
  EXPECT_EQ(before.provisioned, 0);
}

TEST_P(RegistrationTest, NoBrokerIsARefusalAndWritesNothing) {
  const std::string key = CreateKey(3);
  auto chain = DomainChain(kDeviceThenDefault);  // and no default broker exists
  const RowCounts before = CountAll(storage());
  const OrRefusal<RegistrationResult> outcome = service().Register(*chain, key, Request(1));
  ASSERT_TRUE(outcome.refused());
  EXPECT_EQ(outcome.refusal().code, DomainCode::kNoBroker);
  EXPECT_EQ(outcome.refusal().message, outcome.refusal().resolution.reason);
  EXPECT_EQ(outcome.refusal().resolution.trace.size(), 2u);
  EXPECT_FALSE(outcome.refusal().resolution.broker.has_value());
  EXPECT_EQ(CountAll(storage()), before);
  // An `on_error: fail` step that fails is also "no broker"; the client's
  // message names the step but not its error (it may quote the database).
  auto failing = DomainChain(
      "    - plugin: domain_fixture\n      params: { mode: bad_sql }\n      on_error: fail\n"
      "    - plugin: default\n");
  CreateDefaultBroker();
  const OrRefusal<RegistrationResult> failed = service().Register(*failing, key, Request(1));
  ASSERT_TRUE(failed.refused());
  EXPECT_EQ(failed.refusal().code, DomainCode::kNoBroker);
  EXPECT_EQ(failed.refusal().message,
            "no broker: resolution step plugin/fixture failed (on_error: fail)");
  EXPECT_TRUE(failed.refusal().resolution.failed);
  EXPECT_EQ(CountAll(storage()), before);
}

TEST_P(RegistrationTest, DeviceMqttResolvesFreshly) {
  CreateDefaultBroker();
  auto chain = DomainChain(kDeviceThenDefault);
  const auto r = Answer(service().Register(*chain, CreateKey(), Request(1)));

  DeviceMqttAccess access =
      Answer(service().DeviceMqtt(*chain, TestUuid(1), "device-api-key-0001"));
  EXPECT_EQ(access.username, r.mqtt.username);
  EXPECT_EQ(access.password, "");
  EXPECT_EQ(access.broker, "mqtts://mqtt.example.com:8883");
  EXPECT_TRUE(access.broker_config.has_value());
  EXPECT_EQ(access.publish_topics, r.mqtt.publish_topics);
  EXPECT_EQ(access.resolved_by, "default");

  // The operator pins the device elsewhere: the agent follows.
  const auto other = Brokers(storage()).Create(MinimalBroker("other", "other.example"));
  DeviceUpdate pin;
  pin.mqtt_broker_id = std::optional<std::int64_t>(other.id);
  Devices(storage()).Update(TestUuid(1), pin);
  access = Answer(service().DeviceMqtt(*chain, TestUuid(1), "device-api-key-0001"));
  EXPECT_EQ(access.broker, "mqtt://other.example:1883");
  EXPECT_EQ(access.resolved_by, "device");

  // Unknown device and wrong key look the same.
  std::string unknown, wrong;
  try {
    Answer(service().DeviceMqtt(*chain, TestUuid(2), "device-api-key-0001"));
  } catch (const Unauthorized& e) {
    unknown = e.what();
  }
  try {
    Answer(service().DeviceMqtt(*chain, TestUuid(1), "device-api-key-0002"));
  } catch (const Unauthorized& e) {
    wrong = e.what();
  }
  EXPECT_FALSE(unknown.empty());
  EXPECT_EQ(unknown, wrong);
  EXPECT_THROW(Answer(service().DeviceMqtt(*chain, TestUuid(1), "")), Unauthorized);
}

// The config fetch hands each backup as its `failover` entry written once per
// config snapshot (failover_entries.h): the same bytes as the entry written
// from the row, the same view and configVersion as registration (which
// copies every broker and writes each entry itself), and new entries after
// an edit of the broker.
TEST_P(RegistrationTest, FetchReusesEachBackupsEntryAndRebuildsItAfterAnEdit) {
  const PublicBroker primary = CreateDefaultBroker();
  BrokerInput tls = MinimalBroker("backup-tls", "backup-tls.example");
  tls.protocol = "mqtts";
  tls.port = 8883;
  tls.use_tls = true;
  tls.ca_cert = testing::kTestCaA;
  tls.client_cert = testing::kTestCaA;  // any PEM: only its bytes matter here
  tls.client_key = "-----BEGIN PRIVATE KEY-----\nK\n-----END PRIVATE KEY-----\n";
  tls.password = "backup-secret-password";
  const PublicBroker b1 = Brokers(storage()).Create(tls);
  BrokerInput ws = MinimalBroker("backup-ws", "backup-ws.example");
  ws.protocol = "wss";
  ws.port = 443;
  ws.path = "/mqtt";
  const PublicBroker b2 = Brokers(storage()).Create(ws);
  BrokerInput backups;
  backups.backup_broker_ids = std::vector<std::int64_t>{b1.id, b2.id};
  Brokers(storage()).Update(primary.id, backups);

  auto chain = DomainChain(kDeviceThenDefault);
  const std::string key = CreateKey();
  const auto r = Answer(service().Register(*chain, key, Request(1)));
  ASSERT_EQ(r.mqtt.failover.size(), 2u);
  EXPECT_EQ(r.mqtt.failover[0].json, nullptr);  // registration writes its own

  const auto snapshot = [this] {
    Storage::Lease lease = storage().Acquire();
    SessionCache* cache = SessionCacheFor(*lease);
    EXPECT_NE(cache, nullptr);
    return cache->snapshots()->AtLeast(*lease, ReadConfigVersion(*lease));
  };
  const auto row = [this](std::int64_t id) {
    Storage::Lease lease = storage().Acquire();
    return *LoadBrokerById(*lease, id);
  };
  const auto fetch = [&] {
    return Answer(service().DeviceMqtt(*chain, TestUuid(1), "device-api-key-0001"));
  };

  DeviceMqttAccess access = fetch();
  EXPECT_EQ(access.view_json, r.mqtt.view_json);
  EXPECT_EQ(access.config_version, r.mqtt.config_version);
  ASSERT_EQ(access.failover.size(), 2u);
  const std::shared_ptr<const ConfigSnapshot> first = snapshot();
  ASSERT_NE(first, nullptr);
  const FailoverEntries& entries = FailoverEntriesOf(*first);
  EXPECT_EQ(&FailoverEntriesOf(*first), &entries);  // built once per snapshot
  for (std::size_t i = 0; i < 2; ++i) {
    const std::int64_t id = i == 0 ? b1.id : b2.id;
    // Shared, not copied: the answer points at the snapshot's entry.
    EXPECT_EQ(access.failover[i].json, &entries.json.at(id)) << i;
    EXPECT_EQ(entries.json.at(id), FailoverEntryOf(row(id))) << i;
    // The entry from scratch, through the view's own writer.
    FailoverEndpoint scratch;
    scratch.broker = BrokerUrl(row(id));
    scratch.broker_config = ToClientBrokerConfig(row(id));
    EXPECT_EQ(entries.json.at(id), FailoverEntryJson(scratch)) << i;
    EXPECT_NE(access.view_json.find(entries.json.at(id)), std::string::npos) << i;
  }
  EXPECT_NE(entries.json.at(b1.id).find("\"caCert\""), std::string::npos);
  EXPECT_EQ(entries.json.at(b1.id).find("backup-secret-password"), std::string::npos);
  EXPECT_EQ(entries.json.at(b1.id).find("PRIVATE KEY"), std::string::npos);
  // A second fetch reuses the same entries and answers the same bytes.
  EXPECT_EQ(fetch().view_json, access.view_json);
  EXPECT_EQ(snapshot(), first);

  // An edit of a backup: a new snapshot, new entries, a new answer.
  BrokerInput moved;
  moved.host = "backup-tls-2.example";
  Brokers(storage()).Update(b1.id, moved);
  const DeviceMqttAccess after = fetch();
  const std::shared_ptr<const ConfigSnapshot> second = snapshot();
  ASSERT_NE(second, first);
  const FailoverEntries& rebuilt = FailoverEntriesOf(*second);
  EXPECT_EQ(rebuilt.json.at(b1.id), FailoverEntryOf(row(b1.id)));
  EXPECT_NE(rebuilt.json.at(b1.id).find("backup-tls-2.example"), std::string::npos);
  EXPECT_EQ(entries.json.at(b1.id).find("backup-tls-2.example"), std::string::npos);
  EXPECT_EQ(after.failover[0].json, &rebuilt.json.at(b1.id));
  EXPECT_NE(after.config_version, access.config_version);
  // The same view registration would hand out now (a re-registration
  // writes each entry from the broker rows).
  const auto again = Answer(service().Register(*chain, key, Request(1)));
  EXPECT_EQ(after.view_json, again.mqtt.view_json);
  EXPECT_EQ(after.config_version, again.mqtt.config_version);

  // A deactivated backup leaves the list, and the cache has no entry for it.
  BrokerInput off;
  off.is_active = false;
  Brokers(storage()).Update(b2.id, off);
  const DeviceMqttAccess without = fetch();
  ASSERT_EQ(without.failover.size(), 1u);
  EXPECT_EQ(FailoverEntriesOf(*snapshot()).json.count(b2.id), 0u);
}

TEST_P(RegistrationTest, DeviceMqttReturnsTheChainsRefusals) {
  CreateDefaultBroker();
  const auto r =
      Answer(service().Register(*DomainChain(kDeviceThenDefault), CreateKey(), Request(1)));
  auto rejecting = DomainChain("    - plugin: domain_fixture\n      params: { mode: reject }\n");
  const OrRefusal<DeviceMqttAccess> rejected =
      service().DeviceMqtt(*rejecting, r.uuid, "device-api-key-0001");
  ASSERT_TRUE(rejected.refused());
  EXPECT_EQ(rejected.refusal().code, DomainCode::kRefused);
  EXPECT_EQ(rejected.refusal().resolution.trace.size(), 1u);

  auto device_only = DomainChain("    - plugin: device\n");  // nothing assigned: it passes
  const OrRefusal<DeviceMqttAccess> none =
      service().DeviceMqtt(*device_only, r.uuid, "device-api-key-0001");
  ASSERT_TRUE(none.refused());
  EXPECT_EQ(none.refusal().code, DomainCode::kNoBroker);
  EXPECT_EQ(none.refusal().resolution.trace.size(), 1u);
  // A wrong key is still an error, never a refusal that names the chain.
  EXPECT_THROW((void)service().DeviceMqtt(*rejecting, r.uuid, "device-api-key-0002"), Unauthorized);
}

// Concurrent registrations can never exceed max_devices (docs/api.md).
TEST_P(RegistrationTest, ConcurrentRegistrationsNeverExceedMaxDevices) {
  CreateDefaultBroker();
  const std::string key = CreateKey(100);
  auto chain = DomainChain(kDeviceThenDefault);
  Storage pool(url(), 16, std::chrono::seconds(30));
  ProvisioningService service(pool, topics_, log_);
  constexpr int kThreads = 16;
  constexpr int kPerThread = 25;  // 400 registrations
  std::atomic<int> ok{0}, forbidden{0}, other{0};
  std::vector<std::string> other_errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        try {
          Answer(service.Register(*chain, key, Request(t * kPerThread + i + 1)));
          ++ok;
        } catch (const Forbidden&) {
          ++forbidden;
        } catch (const std::exception& e) {
          ++other;
          other_errors[t] = e.what();
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& e : other_errors) EXPECT_EQ(e, "");
  EXPECT_EQ(ok, 100);
  EXPECT_EQ(forbidden, 300);
  EXPECT_EQ(other, 0);

  const RowCounts counts = CountAll(storage());
  EXPECT_EQ(counts.devices, 100);
  EXPECT_EQ(counts.provisioned, 100);
  EXPECT_EQ(counts.mqtt_users, 100);
  EXPECT_EQ(counts.mqtt_acls, 100);
  EXPECT_EQ(CountRows(storage(), "devices d",
                      "NOT EXISTS (SELECT 1 FROM mqtt_users u WHERE u.device_id = d.id "
                      "AND u.username = 'device_' || d.uuid)"),
            0);
  EXPECT_EQ(CountRows(storage(), "devices d",
                      "NOT EXISTS (SELECT 1 FROM mqtt_acls a WHERE a.username = 'device_' || "
                      "d.uuid)"),
            0);
}

// One agent retrying in parallel (PostgreSQL: the INSERTs race past the
// existence check; the loser retries and becomes an idempotent retry).
TEST_P(RegistrationTest, ConcurrentRegistrationsOfOneUuidCreateOneDevice) {
  CreateDefaultBroker();
  const std::string key = CreateKey(50);
  auto chain = DomainChain(kDeviceThenDefault);
  Storage pool(url(), 8, std::chrono::seconds(30));
  ProvisioningService service(pool, topics_, log_);
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::int64_t> ids(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      try {
        ids[t] = Answer(service.Register(*chain, key, Request(7))).id;
        ++ok;
      } catch (const std::exception&) {
        ++failed;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(failed, 0);
  for (auto id : ids) EXPECT_EQ(id, ids[0]);
  const RowCounts counts = CountAll(storage());
  EXPECT_EQ(counts.devices, 1);
  EXPECT_EQ(counts.provisioned, 1);
  EXPECT_EQ(counts.mqtt_users, 1);
}

// A manual throughput probe, not a benchmark (tests/bench has those): run
// with --gtest_also_run_disabled_tests --gtest_filter='*Throughput*' on a
// Release build. Prints registrations per second over 16 threads.
TEST_P(RegistrationTest, DISABLED_Throughput) {
  CreateDefaultBroker();
  const std::string key = CreateKey();
  auto chain = DomainChain(
      "    - plugin: device\n    - plugin: fleet\n    - plugin: regional\n"
      "    - plugin: default\n");
  Storage pool(url(), 16, std::chrono::seconds(30));
  ProvisioningService service(pool, topics_, log_);
  constexpr int kThreads = 16;
  constexpr int kPerThread = 250;
  std::atomic<int> failures{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        try {
          RegistrationRequest r = Request(t * kPerThread + i + 1);
          r.region = "eu-west";
          Answer(service.Register(*chain, key, r));
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(failures, 0);
  std::printf("%s: %d registrations in %.3f s = %.0f/s\n", backend().c_str(), kThreads * kPerThread,
              seconds, kThreads * kPerThread / seconds);
}

// What the device was last handed (device_reports.h): recorded by the
// registration, rewritten by a fetch only when it changed, never replaced by
// an answer resolved at an older counter.
TEST_P(RegistrationTest, RecordsWhatItHandsOutAndRewritesItOnlyOnAChange) {
  CreateDefaultBroker();
  auto chain = DomainChain(kDeviceThenDefault);
  const auto r = Answer(service().Register(*chain, CreateKey(), Request(1)));
  const auto served = [this] {
    Storage::Lease lease = storage().Acquire();
    std::string version;
    long long counter = -1;
    soci::indicator version_ind = soci::i_null, counter_ind = soci::i_null;
    const std::string uuid = TestUuid(1);
    *lease << "SELECT served_config_version, served_config_counter FROM devices WHERE uuid = :u",
        soci::use(uuid), soci::into(version, version_ind), soci::into(counter, counter_ind);
    return std::make_pair(version_ind == soci::i_ok ? version : "<null>",
                          counter_ind == soci::i_ok ? counter : -1);
  };
  const auto current_counter = [this] {
    Storage::Lease lease = storage().Acquire();
    long long counter = -1;
    *lease << "SELECT version FROM config_version WHERE id = 1", soci::into(counter);
    return counter;
  };
  ASSERT_FALSE(r.mqtt.config_version.empty());
  EXPECT_EQ(served(), std::make_pair(r.mqtt.config_version, current_counter()));

  // A fetch with the same answer changes nothing; a tampered record is
  // rewritten by the next fetch (it compares, it does not trust).
  Answer(service().DeviceMqtt(*chain, TestUuid(1), "device-api-key-0001"));
  EXPECT_EQ(served(), std::make_pair(r.mqtt.config_version, current_counter()));
  {
    Storage::Lease lease = storage().Acquire();
    *lease << "UPDATE devices SET served_config_version = 'tampered'";
  }
  Answer(service().DeviceMqtt(*chain, TestUuid(1), "device-api-key-0001"));
  EXPECT_EQ(served().first, r.mqtt.config_version);

  // A broker write bumps the counter: the next fetch records the new one.
  const long long before = current_counter();
  Brokers(storage()).Create(MinimalBroker("unrelated", "unrelated.example"));
  ASSERT_GT(current_counter(), before);
  EXPECT_EQ(served().second, before);
  Answer(service().DeviceMqtt(*chain, TestUuid(1), "device-api-key-0001"));
  EXPECT_EQ(served(), std::make_pair(r.mqtt.config_version, current_counter()));

  // An answer resolved at an older counter never replaces a newer record.
  const long long newest = current_counter();
  {
    Storage::Lease lease = storage().Acquire();
    RecordServedConfig(*lease, r.id, "older-answer", newest - 1);
  }
  EXPECT_EQ(served(), std::make_pair(r.mqtt.config_version, newest));

  // An operator edit clears it; a refused fetch (wrong key) records nothing.
  DeviceUpdate rename;
  rename.device_name = "renamed";
  Devices(storage()).Update(TestUuid(1), rename);
  EXPECT_EQ(served(), std::make_pair(std::string("<null>"), -1LL));
  EXPECT_THROW(Answer(service().DeviceMqtt(*chain, TestUuid(1), "device-api-key-0002")),
               Unauthorized);
  EXPECT_EQ(served().first, "<null>");
}

TEST(ServedConfigChangedTest, WritesWhenTheVersionOrTheCounterDiffersOrIsUnknown) {
  const ServedConfig recorded{"v1", 7};
  EXPECT_FALSE(ServedConfigChanged(recorded, "v1", 7));
  EXPECT_TRUE(ServedConfigChanged(recorded, "v2", 7));
  EXPECT_TRUE(ServedConfigChanged(recorded, "v1", 8));
  EXPECT_TRUE(ServedConfigChanged(recorded, "v1", std::nullopt));
  EXPECT_TRUE(ServedConfigChanged(ServedConfig{}, "v1", 7));
}

SWITCHBOARD_BOTH_BACKENDS(RegistrationTest);

// No database: every service answers StorageUnavailable (503), never hangs.
TEST(DomainStorageUnavailable, EveryCallSaysSo) {
  Storage down("postgresql://host=127.0.0.1 port=1 dbname=none user=none connect_timeout=1", 1,
               std::chrono::milliseconds(200));
  NullLogger log;
  ProvisioningService service(down, ProvisioningConfig{}, log);
  auto chain = DomainChain(kDeviceThenDefault);
  RegistrationRequest request;
  request.uuid = TestUuid(1);
  request.device_name = "n";
  request.device_type = "t";
  request.device_api_key = "device-api-key-0001";
  EXPECT_THROW(Answer(service.Register(*chain, "some-key", request)), StorageUnavailable);
  EXPECT_THROW(Answer(service.DeviceMqtt(*chain, TestUuid(1), "device-api-key-0001")),
               StorageUnavailable);
  EXPECT_THROW(Brokers(down).List(), StorageUnavailable);
  EXPECT_THROW(Brokers(down).Create(MinimalBroker("x")), StorageUnavailable);
  EXPECT_THROW(Devices(down).List(std::nullopt, std::nullopt), StorageUnavailable);
  EXPECT_THROW(ProvisioningKeys(down).Lookup("k"), StorageUnavailable);
}

}  // namespace
}  // namespace switchboard
