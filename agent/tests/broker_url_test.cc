#include "broker_url.h"

#include <gtest/gtest.h>

namespace switchboard::agent {
namespace {

TEST(BrokerUrlTest, ReadsSchemesHostsAndPorts) {
  std::string error;
  auto plain = ParseBrokerUrl("mqtt://broker.example.com:1884", &error);
  ASSERT_TRUE(plain) << error;
  EXPECT_EQ(plain->protocol, "mqtt");
  EXPECT_EQ(plain->host, "broker.example.com");
  EXPECT_EQ(plain->port, 1884);
  EXPECT_FALSE(plain->use_tls);
  EXPECT_EQ(plain->url, "mqtt://broker.example.com:1884");

  auto tls = ParseBrokerUrl("MQTTS://10.1.2.3", &error);
  ASSERT_TRUE(tls) << error;
  EXPECT_EQ(tls->protocol, "mqtts");
  EXPECT_EQ(tls->port, 8883);
  EXPECT_TRUE(tls->use_tls);

  auto v6 = ParseBrokerUrl("mqtt://[::1]:1883", &error);
  ASSERT_TRUE(v6) << error;
  EXPECT_EQ(v6->host, "::1");

  auto ws = ParseBrokerUrl("wss://h.example/mqtt", &error);
  ASSERT_TRUE(ws) << error;
  EXPECT_EQ(ws->port, 443);
  EXPECT_FALSE(ws->Supported());
}

TEST(BrokerUrlTest, RefusesWhatIsNotABrokerUrl) {
  for (const char* url :
       {"", "broker:1883", "http://h:1883", "mqtt://", "mqtt://:1883", "mqtt://h:", "mqtt://h:0",
        "mqtt://h:65536", "mqtt://h:12a", "mqtt://u:p@h:1883", "mqtt://h:1883/path", "mqtt://h?x",
        "mqtt://[::1", "mqtt://[zz]:1", "mqtt://h h:1", "mqtt://[::1]x"}) {
    std::string error;
    EXPECT_FALSE(ParseBrokerUrl(url, &error)) << url;
    EXPECT_FALSE(error.empty()) << url;
  }
}

TEST(BrokerUrlTest, BuildsUrlsWithBracketedIpv6) {
  Endpoint endpoint;
  endpoint.protocol = "mqtts";
  endpoint.host = "::1";
  endpoint.port = 8883;
  EXPECT_EQ(BrokerUrlOf(endpoint), "mqtts://[::1]:8883");
  endpoint.host = "h";
  EXPECT_EQ(BrokerUrlOf(endpoint), "mqtts://h:8883");
}

}  // namespace
}  // namespace switchboard::agent
