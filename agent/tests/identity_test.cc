#include "identity.h"

#include <gtest/gtest.h>

#include <set>

namespace switchboard::agent {
namespace {

TEST(IdentityTest, UuidsAreVersion4AndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string uuid = NewUuidV4();
    ASSERT_TRUE(IsUuid(uuid)) << uuid;
    EXPECT_EQ(uuid[14], '4') << uuid;
    EXPECT_NE(std::string("89ab").find(uuid[19]), std::string::npos) << uuid;
    EXPECT_EQ(uuid.find_first_of("ABCDEF"), std::string::npos) << uuid;
    seen.insert(uuid);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(IdentityTest, DeviceKeysAreLongUrlSafeAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string key = NewDeviceKey();
    ASSERT_EQ(key.size(), 43u);
    EXPECT_EQ(
        key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos)
        << key;
    seen.insert(key);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(IdentityTest, IsUuid) {
  EXPECT_TRUE(IsUuid("3F2B8C1E-9a4d-4e6b-8f0a-1c2d3e4f5a6b"));
  EXPECT_FALSE(IsUuid("3f2b8c1e9a4d4e6b8f0a1c2d3e4f5a6b"));
  EXPECT_FALSE(IsUuid("3f2b8c1e-9a4d-4e6b-8f0a-1c2d3e4f5a6g"));
  EXPECT_FALSE(IsUuid("3f2b8c1e-9a4d-4e6b-8f0a-1c2d3e4f5a6b0"));
  EXPECT_FALSE(IsUuid(""));
}

}  // namespace
}  // namespace switchboard::agent
