#include "domain/provisioning_keys.h"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include "domain/domain_errors.h"
#include "domain_test_support.h"
#include "test_database.h"
#include "util/crypto.h"
#include "util/time.h"

namespace switchboard {
namespace {

using testing::CountRows;
using testing::DatabaseTest;

template <typename T>
concept HasKey = requires(T t) {
  t.key;
};
template <typename T>
concept HasKeyHash = requires(T t) {
  t.key_hash;
};
static_assert(!HasKey<ProvisioningKeyInfo> && !HasKeyHash<ProvisioningKeyInfo>);
static_assert(HasKey<CreatedProvisioningKey>);

class ProvisioningKeysTest : public DatabaseTest {};

TEST_P(ProvisioningKeysTest, CreateShowsTheKeyOnceAndStoresOnlyItsHash) {
  ProvisioningKeys keys(storage());
  ProvisioningKeyRequest request;
  request.fleet_id = "fleet-a";
  request.max_devices = 10;
  request.expires_in_days = 30;
  request.description = "batch 1";
  const auto created = keys.Create(request);
  EXPECT_EQ(created.key.size(), 43u);  // 32 bytes, base64url
  EXPECT_TRUE(created.fleet_created);  // empty database: the fleet is created
  EXPECT_GT(created.info.id, 0);
  EXPECT_EQ(created.info.fleet_id, "fleet-a");
  EXPECT_EQ(created.info.max_devices, 10);
  EXPECT_EQ(created.info.devices_provisioned, 0);
  EXPECT_EQ(created.info.description, "batch 1");
  EXPECT_TRUE(created.info.is_active);
  EXPECT_GT(created.info.expires_at, created.info.created_at);
  EXPECT_EQ(created.info.last_used_at, "");

  // Stored: the SHA-256 hex, never the key.
  Storage::Lease lease = storage().Acquire();
  std::string stored;
  *lease << "SELECT key_hash FROM provisioning_keys", soci::into(stored);
  EXPECT_EQ(stored, Sha256Hex(created.key));
  EXPECT_EQ(CountRows(storage(), "fleets", "id = 'fleet-a' AND name = 'fleet-a'"), 1);

  // A second key for the same fleet does not recreate it.
  EXPECT_FALSE(keys.Create(request).fleet_created);
}

TEST_P(ProvisioningKeysTest, ListNeverReturnsKeyOrHash) {
  ProvisioningKeys keys(storage());
  ProvisioningKeyRequest a;
  a.fleet_id = "a";
  ProvisioningKeyRequest b;
  b.fleet_id = "b";
  const auto ka = keys.Create(a);
  const auto kb = keys.Create(b);
  const auto all = keys.List(std::nullopt);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, ka.info.id);
  const auto only_b = keys.List(std::string("b"));
  ASSERT_EQ(only_b.size(), 1u);
  EXPECT_EQ(only_b[0].id, kb.info.id);
  EXPECT_FALSE(only_b[0].max_devices.has_value());
  EXPECT_EQ(only_b[0].expires_at, "");
  // No string field of a listed key holds the key or its hash.
  for (const auto& k : all) {
    for (const std::string* field :
         {&k.fleet_id, &k.description, &k.expires_at, &k.created_at, &k.last_used_at}) {
      EXPECT_EQ(field->find(ka.key), std::string::npos);
      EXPECT_EQ(field->find(Sha256Hex(ka.key)), std::string::npos);
    }
  }
}

TEST_P(ProvisioningKeysTest, LookupAndRevoke) {
  ProvisioningKeys keys(storage());
  ProvisioningKeyRequest request;
  request.fleet_id = "f";
  const auto created = keys.Create(request);
  auto found = keys.Lookup(created.key);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, created.info.id);
  EXPECT_FALSE(keys.Lookup(created.key + "x").has_value());
  EXPECT_FALSE(keys.Lookup("").has_value());

  keys.Revoke(created.info.id);
  keys.Revoke(created.info.id);  // idempotent
  found = keys.Lookup(created.key);
  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->is_active);
  EXPECT_EQ(ProvisioningKeyRefusal(*found, UtcNowIso8601(), true), "provisioning key revoked");
  EXPECT_THROW(keys.Revoke(9999), NotFound);
}

TEST_P(ProvisioningKeysTest, Refusals) {
  ProvisioningKeyInfo key;
  key.is_active = true;
  const std::string now = "2026-06-01T00:00:00.000Z";
  EXPECT_EQ(ProvisioningKeyRefusal(key, now, true), "");
  key.expires_at = "2026-05-31T23:59:59.999Z";
  EXPECT_NE(ProvisioningKeyRefusal(key, now, true).find("expired"), std::string::npos);
  key.expires_at = "2026-06-01T00:00:00.001Z";
  EXPECT_EQ(ProvisioningKeyRefusal(key, now, true), "");
  key.max_devices = 2;
  key.devices_provisioned = 2;
  EXPECT_NE(ProvisioningKeyRefusal(key, now, true).find("exhausted"), std::string::npos);
  EXPECT_EQ(ProvisioningKeyRefusal(key, now, false), "");  // a retry counts nothing
}

// A malformed expiry used to compare as text after every date ("garbage" >
// "2026-…"), so the key never expired. It must refuse instead.
TEST_P(ProvisioningKeysTest, AnUnreadableExpiryFailsClosed) {
  ProvisioningKeyInfo key;
  key.is_active = true;
  const std::string now = "2026-06-01T00:00:00.000Z";
  for (const char* bad : {"garbage", "9999", "2999-01-01 00:00:00", "2999-01-01T00:00:00+01:00",
                          "2999-02-30T00:00:00.000Z", "2999-01-01T00:00:00.000Zjunk", " "}) {
    key.expires_at = bad;
    EXPECT_EQ(ProvisioningKeyRefusal(key, now, true),
              "provisioning key has an unreadable expiry; refused")
        << bad;
  }
  key.expires_at = "2999-01-01T00:00:00Z";  // without milliseconds: still read
  EXPECT_EQ(ProvisioningKeyRefusal(key, now, true), "");
}

TEST_P(ProvisioningKeysTest, Validation) {
  ProvisioningKeys keys(storage());
  auto field_of = [&](const ProvisioningKeyRequest& r) -> std::string {
    try {
      keys.Create(r);
    } catch (const ValidationError& e) {
      return e.field();
    }
    return "";
  };
  ProvisioningKeyRequest r;
  EXPECT_EQ(field_of(r), "fleetId");
  r.fleet_id = "bad fleet";
  EXPECT_EQ(field_of(r), "fleetId");
  r.fleet_id = "ok";
  r.max_devices = 0;
  EXPECT_EQ(field_of(r), "maxDevices");
  r.max_devices = 5;
  r.expires_in_days = 0;
  EXPECT_EQ(field_of(r), "expiresInDays");
  r.expires_in_days = 36501;
  EXPECT_EQ(field_of(r), "expiresInDays");
  r.expires_in_days = 1;
  r.description = std::string(1001, 'd');
  EXPECT_EQ(field_of(r), "description");
  EXPECT_EQ(CountRows(storage(), "provisioning_keys"), 0);
  EXPECT_EQ(CountRows(storage(), "fleets"), 0);
}

SWITCHBOARD_BOTH_BACKENDS(ProvisioningKeysTest);

}  // namespace
}  // namespace switchboard
