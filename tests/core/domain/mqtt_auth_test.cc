// MqttAuthService and HookTokens on real SQLite and PostgreSQL: who is
// managed, the decisions, the hook tokens, restrict_to_assigned and every
// bad input the routes pass through.
#include "domain/mqtt_auth.h"

#include <gtest/gtest.h>

#include <string>

#include "domain/domain_errors.h"
#include "domain/hook_tokens.h"
#include "domain_test_support.h"
#include "engine/resolve_context.h"
#include "test_database.h"
#include "util/crypto.h"
#include "util/log.h"

namespace switchboard {
namespace {

constexpr char kSharedToken[] = "shared-hook-token-0123456789abcdef0123456789";
constexpr char kAdminToken[] = "admin-token-0123456789abcdef0123456789abcdef";

class MqttAuthTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped()) return;
    chain_ = testing::DomainChain("    - plugin: device\n    - plugin: default\n");
    Exec("INSERT INTO mqtt_broker_config (name, host, is_default) VALUES ('a', 'a.example', 1)");
    Exec("INSERT INTO mqtt_broker_config (name, host) VALUES ('b', 'b.example')");
    broker_a_ = QueryId("SELECT id FROM mqtt_broker_config WHERE name = 'a'");
    broker_b_ = QueryId("SELECT id FROM mqtt_broker_config WHERE name = 'b'");
  }

  std::int64_t QueryId(const std::string& query) {
    Storage::Lease lease = storage().Acquire();
    long long id = 0;
    *lease << query, soci::into(id);
    return id;
  }

  // A device as registration leaves it: the row, its MQTT user and its ACL.
  std::string AddDevice(int n, const std::string& password, int active = 1) {
    const std::string uuid = testing::TestUuid(n);
    Exec("INSERT INTO devices (uuid, device_name, device_type, api_key_hash) VALUES ('" + uuid +
         "', 'n', 't', 'x')");
    Exec("INSERT INTO mqtt_users (username, password_hash, device_id, is_active) SELECT 'device_" +
         uuid + "', '" + MosquittoPasswordHash(password) + "', id, " + std::to_string(active) +
         " FROM devices WHERE uuid = '" + uuid + "'");
    Exec("INSERT INTO mqtt_acls (username, topic, access) VALUES ('device_" + uuid +
         "', 'iot/device/" + uuid + "/#', 'readwrite'), ('device_" + uuid + "', 'fleet/" + uuid +
         "/cmd', 'read')");
    return uuid;
  }

  MqttAuthService Service(bool restrict = false, const std::string& shared = kSharedToken) {
    MqttAuthConfig config;
    config.restrict_to_assigned = restrict;
    return MqttAuthService(storage(), config, shared, Sha256Hex(kAdminToken), ProcessLogger());
  }

  MqttAuthDecision Auth(MqttAuthService& service, const std::string& username,
                        const std::string& password, std::string_view token = kSharedToken) {
    MqttAuthRequest request;
    request.username = username;
    request.password = password;
    request.clientid = "client-1";
    return service.PrepareAuthentication(*chain_, token, request).Finish();
  }

  HookResult Acl(MqttAuthService& service, const std::string& username, const std::string& topic,
                 MqttAction action, std::string_view token = kSharedToken) {
    MqttAclRequest request;
    request.username = username;
    request.clientid = "client-1";
    request.topic = topic;
    request.action = action;
    return service.CheckAcl(*chain_, token, request).result;
  }

  std::shared_ptr<const Chain> chain_;
  std::int64_t broker_a_ = 0;
  std::int64_t broker_b_ = 0;
};

TEST_P(MqttAuthTest, RightPasswordIsAllowedWithItsTopicsAndATrailingDenyAll) {
  const std::string uuid = AddDevice(1, "right-password-123");
  MqttAuthService service = Service();
  const MqttAuthDecision decision = Auth(service, "device_" + uuid, "right-password-123");
  ASSERT_EQ(decision.result, HookResult::kAllow) << decision.reason;
  ASSERT_EQ(decision.acl.size(), 3u);
  EXPECT_TRUE(decision.acl[0].allow);
  EXPECT_EQ(decision.acl[0].action, "all");
  EXPECT_EQ(decision.acl[0].topic, "iot/device/" + uuid + "/#");
  EXPECT_EQ(decision.acl[1].action, "subscribe");
  EXPECT_EQ(decision.acl[1].topic, "fleet/" + uuid + "/cmd");
  EXPECT_FALSE(decision.acl[2].allow);
  EXPECT_EQ(decision.acl[2].action, "all");
  EXPECT_EQ(decision.acl[2].topic, "#");
}

TEST_P(MqttAuthTest, WrongOrAnotherDevicesPasswordIsDenied) {
  const std::string one = AddDevice(1, "password-of-one-123");
  AddDevice(2, "password-of-two-123");
  MqttAuthService service = Service();
  for (const std::string password : {"password-of-two-123", "", "password-of-one-12"}) {
    const MqttAuthDecision decision = Auth(service, "device_" + one, password);
    EXPECT_EQ(decision.result, HookResult::kDeny) << password;
    EXPECT_EQ(decision.reason, "wrong password");
    EXPECT_TRUE(decision.acl.empty());
  }
}

TEST_P(MqttAuthTest, EveryManagedAnswerCostsOneHashCheckAndOthersAreIgnoredAtOnce) {
  const std::string active = AddDevice(1, "pw-active-123456");
  const std::string inactive = AddDevice(2, "pw-inactive-12345", /*active=*/0);
  MqttAuthService service = Service();
  MqttAuthRequest request;
  request.clientid = "c";
  struct Case {
    std::string username, password;
    bool checked;
    HookResult result;
  };
  const Case cases[] = {
      {"device_" + active, "pw-active-123456", true, HookResult::kAllow},
      {"device_" + active, "wrong", true, HookResult::kDeny},
      {"device_" + inactive, "pw-inactive-12345", true, HookResult::kDeny},
      {"device_" + testing::TestUuid(99), "anything", true, HookResult::kDeny},
      {"device_", "anything", true, HookResult::kDeny},
      {"broker-admin", "anything", false, HookResult::kIgnore},
      {"", "", false, HookResult::kIgnore},
  };
  for (const Case& c : cases) {
    request.username = c.username;
    request.password = c.password;
    PendingAuthentication pending = service.PrepareAuthentication(*chain_, kSharedToken, request);
    EXPECT_EQ(pending.needs_verification(), c.checked) << c.username;
    const MqttAuthDecision decision = pending.Finish();
    EXPECT_EQ(decision.result, c.result) << c.username << ": " << decision.reason;
  }
}

TEST_P(MqttAuthTest, DeactivatedUserIsDeniedEvenWithItsPassword) {
  const std::string uuid = AddDevice(1, "pw-123456789012345");
  MqttAuthService service = Service();
  EXPECT_EQ(Auth(service, "device_" + uuid, "pw-123456789012345").result, HookResult::kAllow);
  Exec("UPDATE mqtt_users SET is_active = 0");
  const MqttAuthDecision decision = Auth(service, "device_" + uuid, "pw-123456789012345");
  EXPECT_EQ(decision.result, HookResult::kDeny);
  EXPECT_EQ(decision.reason, "MQTT user deactivated");
  EXPECT_EQ(Acl(service, "device_" + uuid, "iot/device/" + uuid + "/t", MqttAction::kPublish),
            HookResult::kDeny);
}

TEST_P(MqttAuthTest, HookTokensOtherThanTheSharedOrABrokersOwnAreRefused) {
  AddDevice(1, "pw-123456789012345");
  MqttAuthService service = Service();
  const std::string user = "device_" + testing::TestUuid(1);
  for (const std::string& token : {std::string(), std::string(kAdminToken),
                                   std::string("not-a-token"), std::string(kSharedToken) + "x"}) {
    EXPECT_THROW(Auth(service, user, "pw-123456789012345", token), Unauthorized) << token;
    EXPECT_THROW(Acl(service, user, "t", MqttAction::kPublish, token), Unauthorized) << token;
  }
  try {
    Auth(service, user, "pw", kAdminToken);
  } catch (const Unauthorized& e) {
    EXPECT_NE(std::string(e.what()).find("admin token is not accepted"), std::string::npos);
  }
  // A broker's own token works as well as the shared one.
  const IssuedHookToken issued = HookTokens(storage()).Issue(broker_a_);
  EXPECT_EQ(Auth(service, user, "pw-123456789012345", issued.token).result, HookResult::kAllow);
  // No shared token configured: only brokers' tokens.
  MqttAuthService without_shared = Service(false, "");
  EXPECT_THROW(Auth(without_shared, user, "pw-123456789012345", kSharedToken), Unauthorized);
  EXPECT_EQ(Auth(without_shared, user, "pw-123456789012345", issued.token).result,
            HookResult::kAllow);
}

TEST_P(MqttAuthTest, TheAdminTokenCannotBeTheSharedHookToken) {
  EXPECT_THROW(Service(false, kAdminToken), ConfigError);
}

TEST_P(MqttAuthTest, RotatingABrokersTokenRetiresTheOldOne) {
  HookTokens tokens(storage());
  const IssuedHookToken first = tokens.Issue(broker_a_);
  EXPECT_FALSE(first.rotated);
  EXPECT_EQ(first.token.size(), 43u);
  const IssuedHookToken second = tokens.Issue(broker_a_);
  EXPECT_TRUE(second.rotated);
  EXPECT_NE(first.token, second.token);
  {
    Storage::Lease lease = storage().Acquire();
    EXPECT_EQ(FindHookTokenBroker(*lease, Sha256Hex(first.token)), std::nullopt);
    EXPECT_EQ(FindHookTokenBroker(*lease, Sha256Hex(second.token)), broker_a_);
  }
  // Only the hash is stored.
  EXPECT_EQ(testing::CountRows(storage(), "mqtt_hook_tokens",
                               "token_hash = '" + Sha256Hex(second.token) + "'"),
            1);
  EXPECT_EQ(
      testing::CountRows(storage(), "mqtt_hook_tokens", "token_hash = '" + second.token + "'"), 0);
  EXPECT_THROW(tokens.Issue(999), NotFound);
  // Deleting the broker deletes its token.
  Exec("DELETE FROM mqtt_broker_config WHERE id = " + std::to_string(broker_b_));
  tokens.Issue(broker_a_);
  Exec("DELETE FROM mqtt_broker_config WHERE id = " + std::to_string(broker_a_));
  EXPECT_EQ(testing::CountRows(storage(), "mqtt_hook_tokens"), 0);
}

TEST_P(MqttAuthTest, RestrictToAssignedAdmitsADeviceOnlyOnItsBroker) {
  const std::string uuid = AddDevice(1, "pw-123456789012345");
  const std::string user = "device_" + uuid;
  MqttAuthService service = Service(/*restrict=*/true);
  HookTokens tokens(storage());
  const std::string token_a = tokens.Issue(broker_a_).token;
  const std::string token_b = tokens.Issue(broker_b_).token;
  const std::string topic = "iot/device/" + uuid + "/t";

  // The default broker (a) is the device's; the shared token identifies no broker.
  EXPECT_EQ(Auth(service, user, "pw-123456789012345", token_a).result, HookResult::kAllow);
  const MqttAuthDecision on_b = Auth(service, user, "pw-123456789012345", token_b);
  EXPECT_EQ(on_b.result, HookResult::kDeny);
  EXPECT_EQ(on_b.reason, "device not assigned to broker " + std::to_string(broker_b_));
  EXPECT_THROW(Auth(service, user, "pw-123456789012345", kSharedToken), Unauthorized);
  EXPECT_EQ(Acl(service, user, topic, MqttAction::kPublish, token_a), HookResult::kAllow);
  EXPECT_EQ(Acl(service, user, topic, MqttAction::kPublish, token_b), HookResult::kDeny);

  // Reassigned to b (PUT /devices/{uuid}): b admits it, a no longer does.
  Exec("UPDATE devices SET mqtt_broker_id = " + std::to_string(broker_b_));
  EXPECT_EQ(Auth(service, user, "pw-123456789012345", token_b).result, HookResult::kAllow);
  EXPECT_EQ(Auth(service, user, "pw-123456789012345", token_a).result, HookResult::kDeny);
  EXPECT_EQ(Acl(service, user, topic, MqttAction::kPublish, token_b), HookResult::kAllow);
  EXPECT_EQ(Acl(service, user, topic, MqttAction::kPublish, token_a), HookResult::kDeny);
}

TEST_P(MqttAuthTest, EndpointListIsTheResolvedBrokerAndEmptyWithoutOne) {
  const std::string uuid = AddDevice(1, "pw-123456789012345");
  Storage::Lease lease = storage().Acquire();
  const std::optional<Device> device = LoadDeviceByUuid(*lease, uuid);
  ASSERT_TRUE(device);
  EXPECT_EQ(DeviceEndpointBrokerIds(*chain_, *device, *lease, ProcessLogger()),
            std::vector<std::int64_t>{broker_a_});
  // The env plugin's broker is no row: no broker can claim the device.
  const auto env_chain = testing::DomainChain(
      "    - plugin: env\n      params: {variable: SB_UNSET_VAR, fallback: "
      "\"mqtt://x.example:1883\"}\n");
  EXPECT_TRUE(DeviceEndpointBrokerIds(*env_chain, *device, *lease, ProcessLogger()).empty());
  // No broker at all.
  *lease << "UPDATE mqtt_broker_config SET is_default = 0";
  EXPECT_TRUE(DeviceEndpointBrokerIds(*chain_, *device, *lease, ProcessLogger()).empty());
}

TEST_P(MqttAuthTest, AclFollowsTheStoredRightsAndRefusesWildcardPublishes) {
  const std::string uuid = AddDevice(1, "pw-123456789012345");
  const std::string other = AddDevice(2, "pw-other-12345678");
  const std::string user = "device_" + uuid;
  MqttAuthService service = Service();
  const std::string own = "iot/device/" + uuid;
  struct Case {
    std::string topic;
    MqttAction action;
    HookResult result;
  };
  const Case cases[] = {
      {own + "/telemetry", MqttAction::kPublish, HookResult::kAllow},
      {own, MqttAction::kPublish, HookResult::kAllow},  // "a/#" matches "a"
      {own + "/#", MqttAction::kSubscribe, HookResult::kAllow},
      {own + "/+/status", MqttAction::kSubscribe, HookResult::kAllow},
      {"fleet/" + uuid + "/cmd", MqttAction::kSubscribe, HookResult::kAllow},
      {"fleet/" + uuid + "/cmd", MqttAction::kPublish, HookResult::kDeny},  // read only
      {"iot/device/" + other + "/t", MqttAction::kPublish, HookResult::kDeny},
      {"iot/device/" + other + "/#", MqttAction::kSubscribe, HookResult::kDeny},
      {"iot/device/+/t", MqttAction::kSubscribe, HookResult::kDeny},
      {"#", MqttAction::kSubscribe, HookResult::kDeny},
      {own + "/+", MqttAction::kPublish, HookResult::kDeny},  // wildcard in a publish
      {own + "/#", MqttAction::kPublish, HookResult::kDeny},
      {own + "/a#", MqttAction::kSubscribe, HookResult::kDeny},  // malformed filter
      {"$SYS/broker", MqttAction::kSubscribe, HookResult::kDeny},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Acl(service, user, c.topic, c.action), c.result)
        << c.topic << (c.action == MqttAction::kPublish ? " publish" : " subscribe");
  }
  EXPECT_EQ(Acl(service, "broker-admin", own + "/t", MqttAction::kPublish), HookResult::kIgnore);
  EXPECT_EQ(Acl(service, "device_" + testing::TestUuid(77), own + "/t", MqttAction::kPublish),
            HookResult::kDeny);
}

TEST_P(MqttAuthTest, OversizedOrEmptyFieldsAreRefusedNamingTheField) {
  const std::string uuid = AddDevice(1, "pw-123456789012345");
  MqttAuthService service = Service();
  auto field_of = [&](MqttAuthRequest request) {
    try {
      service.PrepareAuthentication(*chain_, kSharedToken, request).Finish();
    } catch (const ValidationError& e) {
      return e.field();
    }
    return std::string("(accepted)");
  };
  MqttAuthRequest ok;
  ok.username = "device_" + uuid;
  ok.password = "pw-123456789012345";
  ok.clientid = "c";
  MqttAuthRequest request = ok;
  request.password = std::string(65536, 'p');
  EXPECT_EQ(field_of(request), "password");
  request = ok;
  request.username = std::string(65536, 'u');
  EXPECT_EQ(field_of(request), "username");
  request = ok;
  request.clientid = std::string(65536, 'c');
  EXPECT_EQ(field_of(request), "clientid");
  request = ok;
  request.peerhost = std::string(256, '1');
  EXPECT_EQ(field_of(request), "peerhost");
  // At the limit: a very long password is checked like any other, and denied.
  request = ok;
  request.password = std::string(65535, 'p');
  EXPECT_EQ(service.PrepareAuthentication(*chain_, kSharedToken, request).Finish().result,
            HookResult::kDeny);

  MqttAclRequest acl;
  acl.username = "device_" + uuid;
  acl.clientid = "c";
  try {
    service.CheckAcl(*chain_, kSharedToken, acl);
    ADD_FAILURE() << "empty topic accepted";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), "topic");
  }
  acl.topic = std::string(65536, 't');
  EXPECT_THROW(service.CheckAcl(*chain_, kSharedToken, acl), ValidationError);
}

SWITCHBOARD_BOTH_BACKENDS(MqttAuthTest);

}  // namespace
}  // namespace switchboard
