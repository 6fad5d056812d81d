#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "switchboard/broker.h"

namespace switchboard {
namespace {

struct GoodCase {
  std::string url;
  std::string protocol;
  std::string host;
  int port;
  std::string path;
  bool use_tls;
  std::string username = "";
  std::string password = "";
};

class ParseGoodUrlTest : public ::testing::TestWithParam<GoodCase> {};

TEST_P(ParseGoodUrlTest, Parses) {
  const GoodCase& c = GetParam();
  std::string error;
  auto broker = ParseBrokerUrl(c.url, &error);
  ASSERT_TRUE(broker.has_value()) << c.url << ": " << error;
  EXPECT_EQ(broker->protocol, c.protocol);
  EXPECT_EQ(broker->host, c.host);
  EXPECT_EQ(broker->port, c.port);
  EXPECT_EQ(broker->path, c.path);
  EXPECT_EQ(broker->use_tls, c.use_tls);
  EXPECT_EQ(broker->username, c.username);
  EXPECT_EQ(broker->password, c.password);
  EXPECT_FALSE(broker->from_storage);
  EXPECT_EQ(broker->id, 0);
  EXPECT_EQ(broker->name, "env");
  // Fields a URL cannot carry keep their BrokerConfig defaults.
  EXPECT_EQ(broker->keep_alive, 60);
  EXPECT_TRUE(broker->verify_certificate);
}

INSTANTIATE_TEST_SUITE_P(
    Schemes, ParseGoodUrlTest,
    ::testing::Values(
        GoodCase{"mqtt://localhost", "mqtt", "localhost", 1883, "", false},
        GoodCase{"mqtts://broker.example.com", "mqtts", "broker.example.com", 8883, "", true},
        GoodCase{"ws://broker", "ws", "broker", 80, "", false},
        GoodCase{"wss://broker", "wss", "broker", 443, "", true},
        GoodCase{"mqtt://localhost:1883", "mqtt", "localhost", 1883, "", false},
        GoodCase{"mqtt://10.0.0.5:1", "mqtt", "10.0.0.5", 1, "", false},
        GoodCase{"mqtts://h:65535", "mqtts", "h", 65535, "", true},
        GoodCase{"mqtt://h:01883", "mqtt", "h", 1883, "", false},
        GoodCase{"MQTTS://Broker.Example.com:8884", "mqtts", "Broker.Example.com", 8884, "", true},
        GoodCase{"Ws://h", "ws", "h", 80, "", false},
        GoodCase{"mqtt://mqtt_broker-1.local", "mqtt", "mqtt_broker-1.local", 1883, "", false},
        GoodCase{"mqtt://h/", "mqtt", "h", 1883, "", false},  // a lone '/' is ignored
        GoodCase{"mqtt://[::1]", "mqtt", "::1", 1883, "", false},
        GoodCase{"mqtt://[::1]:1883", "mqtt", "::1", 1883, "", false},
        GoodCase{"mqtts://[2001:db8::1]:8883", "mqtts", "2001:db8::1", 8883, "", true},
        GoodCase{"wss://[2001:db8::1]/mqtt", "wss", "2001:db8::1", 443, "/mqtt", true},
        GoodCase{"ws://h:8080/mqtt", "ws", "h", 8080, "/mqtt", false},
        GoodCase{"wss://h/", "wss", "h", 443, "/", true},
        GoodCase{"wss://h/a/b%20c", "wss", "h", 443, "/a/b%20c", true},
        GoodCase{"mqtt://user:pass@h", "mqtt", "h", 1883, "", false, "user", "pass"},
        GoodCase{"mqtt://user@h:1884", "mqtt", "h", 1884, "", false, "user", ""},
        GoodCase{"mqtt://user:@h", "mqtt", "h", 1883, "", false, "user", ""},
        GoodCase{"mqtts://u:p%40ss%3Aw%2Fd@[::1]:8883", "mqtts", "::1", 8883, "", true, "u",
                 "p@ss:w/d"},
        GoodCase{"mqtt://u:p@ss@h", "mqtt", "h", 1883, "", false, "u", "p@ss"},
        GoodCase{"wss://u:p:q@h/ws", "wss", "h", 443, "/ws", true, "u", "p:q"}));

class ParseBadUrlTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ParseBadUrlTest, IsRejectedWithAMessage) {
  std::string error;
  auto broker = ParseBrokerUrl(GetParam(), &error);
  EXPECT_FALSE(broker.has_value()) << "accepted: " << broker->host;
  EXPECT_NE(error.find("invalid broker URL: "), std::string::npos) << error;
  EXPECT_GT(error.size(), std::string("invalid broker URL: ").size());
  // The URL may hold a password: messages never echo it.
  EXPECT_EQ(error.find("secret"), std::string::npos) << error;
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, ParseBadUrlTest,
    ::testing::Values("", "mqtt://", "mqtt://:1883", "mqtt://host:0", "mqtt://host:65536",
                      "mqtt://host:99999999999999999999", "mqtt://host:abc", "mqtt://host:-1",
                      "mqtt://host:+1883", "mqtt://host:", "mqtt://host:18 83", "ftp://x",
                      "http://host", "mqtt:/host", "mqtt:host", "localhost:1883", "://host",
                      "mqtt://[::1", "mqtt://::1]", "mqtt://::1", "mqtt://[::1]x",
                      "mqtt://[::1]:", "mqtt://[]:1883", "mqtt://[not-ipv6]:1883",
                      "mqtt://[fe80::1%25eth0]", "mqtt://host:1883/path", "mqtts://host//",
                      "mqtt://host?x=1", "wss://host/mqtt?token=secret", "mqtt://host#frag",
                      "mqtt://ho st", " mqtt://host", "mqtt://host\t", "mqtt://host\n",
                      std::string("mqtt://host\0evil", 16), "mqtt://h\x7fst", "mqtt://h\xc3\xa9st",
                      "mqtt://ho!st", "mqtt://ho%st", "mqtt://@host", "mqtt://:secret@host",
                      "mqtt://u:secret@", "mqtt://u:secret%zz@host", "mqtt://u:secret%4@host",
                      "mqtt://u:secret%00@host", "mqtt://" + std::string(300, 'a'),
                      "mqtt://" + std::string(5000, 'a'), "wss://h/" + std::string(3000, 'p')));

TEST(ParseBrokerUrlTest, ToleratesANullErrorPointer) {
  EXPECT_FALSE(ParseBrokerUrl("ftp://x", nullptr).has_value());
  EXPECT_TRUE(ParseBrokerUrl("mqtt://x", nullptr).has_value());
}

TEST(ParseBrokerUrlTest, ErrorsAreSpecific) {
  std::string error;
  ParseBrokerUrl("ftp://x", &error);
  EXPECT_NE(error.find("unknown scheme 'ftp'"), std::string::npos) << error;
  ParseBrokerUrl("mqtt://host:1883/path", &error);
  EXPECT_NE(error.find("ws://"), std::string::npos) << error;
  ParseBrokerUrl("mqtt://::1", &error);
  EXPECT_NE(error.find("brackets"), std::string::npos) << error;
  ParseBrokerUrl("mqtt://host:0", &error);
  EXPECT_NE(error.find("1..65535"), std::string::npos) << error;
}

TEST(ParseBrokerUrlTest, SurvivesEveryShortByteString) {
  // Every 1- and 2-byte suffix after each scheme prefix: no crash, no throw.
  for (const std::string prefix : {"", "mqtt://", "ws://[", "mqtt://u:p@"}) {
    for (int a = 0; a < 256; ++a) {
      for (int b = 0; b < 256; b += 7) {
        std::string url = prefix + static_cast<char>(a) + static_cast<char>(b);
        std::string error;
        EXPECT_NO_THROW(ParseBrokerUrl(url, &error));
      }
    }
  }
}

TEST(BrokerUrlTest, FormatsEachShape) {
  BrokerConfig b;
  b.host = "broker.example.com";
  EXPECT_EQ(BrokerUrl(b), "mqtt://broker.example.com:1883");
  b.protocol = "mqtts";
  b.port = 8883;
  b.path = "/ignored";  // no path on mqtt(s)
  EXPECT_EQ(BrokerUrl(b), "mqtts://broker.example.com:8883");
  b.protocol = "wss";
  b.port = 443;
  b.path = "/mqtt";
  EXPECT_EQ(BrokerUrl(b), "wss://broker.example.com:443/mqtt");
  b.path = "mqtt";  // leading '/' supplied
  EXPECT_EQ(BrokerUrl(b), "wss://broker.example.com:443/mqtt");
  b.path = "";
  EXPECT_EQ(BrokerUrl(b), "wss://broker.example.com:443");
  b.host = "2001:db8::1";
  EXPECT_EQ(BrokerUrl(b), "wss://[2001:db8::1]:443");
  b.protocol = "MQTT";
  b.port = 1883;
  b.host = "::1";
  EXPECT_EQ(BrokerUrl(b), "mqtt://[::1]:1883");
}

TEST(BrokerUrlTest, NeverIncludesCredentials) {
  auto b = ParseBrokerUrl("mqtts://admin:hunter2@h:8883", nullptr);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(BrokerUrl(*b), "mqtts://h:8883");
}

TEST(BrokerUrlTest, RoundTripsThroughTheParser) {
  for (const std::string url : {"mqtt://localhost:1883", "mqtts://broker.example.com:8883",
                                "ws://h:80/mqtt", "wss://[2001:db8::1]:443/mqtt/v1",
                                "mqtt://[::1]:1", "wss://h:443", "mqtt://10.1.2.3:65535"}) {
    std::string error;
    auto b = ParseBrokerUrl(url, &error);
    ASSERT_TRUE(b.has_value()) << url << ": " << error;
    EXPECT_EQ(BrokerUrl(*b), url);
    auto again = ParseBrokerUrl(BrokerUrl(*b), &error);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->host, b->host);
    EXPECT_EQ(again->port, b->port);
    EXPECT_EQ(again->path, b->path);
    EXPECT_EQ(again->protocol, b->protocol);
  }
}

}  // namespace
}  // namespace switchboard
