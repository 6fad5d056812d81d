#include "util/ip_address.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace switchboard {
namespace {

IpAddress Ip(const char* text) {
  const auto address = ParseIpAddress(text);
  EXPECT_TRUE(address.has_value()) << text;
  return address.value_or(IpAddress{});
}

TEST(IpAddressTest, ParsesBothFamiliesIntoOneCanonicalText) {
  EXPECT_EQ(Ip("10.0.0.1").ToString(), "10.0.0.1");
  EXPECT_EQ(Ip("::ffff:10.0.0.1").ToString(), "10.0.0.1");
  EXPECT_EQ(Ip("0:0:0::1").ToString(), "::1");
  EXPECT_EQ(Ip("2001:DB8::1").ToString(), "2001:db8::1");
  EXPECT_TRUE(Ip("10.0.0.1").is_v4());
  EXPECT_FALSE(Ip("::1").is_v4());
}

TEST(IpAddressTest, RefusesWhatIsNotABareAddress) {
  for (const char* bad : {"", "unknown", "10.0.0", "10.0.0.256", "10.0.0.1:80", "[::1]", "::1%eth0",
                          " 10.0.0.1", "_hidden", "1.2.3.4.5"}) {
    EXPECT_FALSE(ParseIpAddress(bad).has_value()) << bad;
  }
}

TEST(IpAddressTest, ForwardedEntriesMayCarryAPortOrBrackets) {
  EXPECT_EQ(ParseForwardedAddress("10.0.0.1:8080")->ToString(), "10.0.0.1");
  EXPECT_EQ(ParseForwardedAddress("[2001:db8::1]:443")->ToString(), "2001:db8::1");
  EXPECT_EQ(ParseForwardedAddress("[2001:db8::1]")->ToString(), "2001:db8::1");
  EXPECT_EQ(ParseForwardedAddress("2001:db8::1")->ToString(), "2001:db8::1");
  for (const char* bad : {"unknown", "10.0.0.1:", "10.0.0.1:port", "[10.0.0.1]", "[::1", "[::1]x",
                          "10.0.0.1:123456"}) {
    EXPECT_FALSE(ParseForwardedAddress(bad).has_value()) << bad;
  }
}

TEST(IpRangeTest, PrefixesMatchTheirNetworkOnly) {
  const IpRange eight = IpRange::Parse("10.0.0.0/8");
  EXPECT_TRUE(eight.Contains(Ip("10.255.1.2")));
  EXPECT_FALSE(eight.Contains(Ip("11.0.0.1")));
  EXPECT_FALSE(eight.Contains(Ip("::a00:1")));  // IPv6, not mapped

  const IpRange odd = IpRange::Parse("192.168.1.128/25");
  EXPECT_TRUE(odd.Contains(Ip("192.168.1.200")));
  EXPECT_FALSE(odd.Contains(Ip("192.168.1.127")));

  const IpRange v6 = IpRange::Parse("fd00::/8");
  EXPECT_TRUE(v6.Contains(Ip("fd12::1")));
  EXPECT_FALSE(v6.Contains(Ip("fe80::1")));

  const IpRange one = IpRange::Parse("127.0.0.1");
  EXPECT_TRUE(one.Contains(Ip("127.0.0.1")));
  EXPECT_FALSE(one.Contains(Ip("127.0.0.2")));

  EXPECT_TRUE(IpRange::Parse("0.0.0.0/0").Contains(Ip("8.8.8.8")));
  EXPECT_FALSE(IpRange::Parse("0.0.0.0/0").Contains(Ip("::1")));
}

TEST(IpRangeTest, RefusesMalformedRangesNamingThem) {
  for (const char* bad : {"", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x",
                          "localhost", "10.0.0.0/8/8"}) {
    try {
      IpRange::Parse(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace switchboard
