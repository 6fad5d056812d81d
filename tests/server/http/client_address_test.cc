// Which address a request is counted against: the peer, or behind a trusted
// proxy the right-most untrusted X-Forwarded-For entry. The walk itself,
// then real requests to an in-process server from two loopback addresses
// (127.0.0.1 is the trusted proxy, 127.0.0.2 is not).
#include "http/client_address.h"

#include <gtest/gtest.h>

#include "capturing_logger.h"
#include "http/http_server.h"
#include "http_client.h"

namespace switchboard::http {
namespace {

using testing::CapturingLogger;
using testing::Headers;
using testing::OneShotFrom;

TEST(ClientAddressTest, WithoutTrustedProxiesThePeerIsTheClient) {
  const IpRangeSet none;
  EXPECT_EQ(ClientAddress("10.0.0.5", "1.2.3.4", none), "10.0.0.5");
  EXPECT_EQ(ClientAddress("::ffff:10.0.0.5", std::nullopt, none), "10.0.0.5");
}

TEST(ClientAddressTest, AnUntrustedPeersHeaderIsIgnored) {
  const IpRangeSet proxies({"10.0.0.0/8"});
  EXPECT_EQ(ClientAddress("192.0.2.7", "1.2.3.4", proxies), "192.0.2.7");
}

TEST(ClientAddressTest, TheRightMostUntrustedEntryIsTheClient) {
  const IpRangeSet proxies({"10.0.0.0/8", "fd00::/8"});
  // The client wrote "6.6.6.6" itself; the proxy appended what it saw.
  EXPECT_EQ(ClientAddress("10.0.0.1", "6.6.6.6, 203.0.113.9", proxies), "203.0.113.9");
  // Two proxies in a row: both skipped.
  EXPECT_EQ(ClientAddress("10.0.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.2", proxies), "203.0.113.9");
  EXPECT_EQ(ClientAddress("10.0.0.1", "[2001:db8::7]:1234,fd00::2", proxies), "2001:db8::7");
  EXPECT_EQ(ClientAddress("10.0.0.1", "203.0.113.9:5555", proxies), "203.0.113.9");
}

TEST(ClientAddressTest, OnlyTrustedHopsGivesTheLeftMost) {
  const IpRangeSet proxies({"10.0.0.0/8"});
  EXPECT_EQ(ClientAddress("10.0.0.1", "10.0.0.3, 10.0.0.2", proxies), "10.0.0.3");
}

TEST(ClientAddressTest, GarbageStopsAtTheNearestTrustedHop) {
  const IpRangeSet proxies({"10.0.0.0/8"});
  // What a trusted hop wrote is not an address: count it against that hop,
  // never against a name the client chose.
  EXPECT_EQ(ClientAddress("10.0.0.1", "203.0.113.9, unknown", proxies), "10.0.0.1");
  EXPECT_EQ(ClientAddress("10.0.0.1", "junk, 10.0.0.4", proxies), "10.0.0.4");
  EXPECT_EQ(ClientAddress("10.0.0.1", "", proxies), "10.0.0.1");
  EXPECT_EQ(ClientAddress("10.0.0.1", " , 203.0.113.9 , ", proxies), "203.0.113.9");
}

class ClientAddressServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    logger_ = new CapturingLogger;
    HttpServerOptions options;
    options.address = "127.0.0.1:0";
    options.trusted_proxies = {"127.0.0.1"};
    server_ = new HttpServer(options, *logger_);
    server_->Get("/whoami", [](const Request& r) {
      JsonWriter json;
      json.StartObject()
          .Field("client", r.client_address())
          .Field("peer", r.remote_address())
          .EndObject();
      return Response::Json(200, json.Take());
    });
    server_->Serve();
  }
  static void TearDownTestSuite() {
    server_->Shutdown();
    delete server_;
    delete logger_;
  }
  static std::string WhoAmI(const std::string& source, const Headers& headers) {
    return OneShotFrom(source, server_->port(), "GET", "/whoami", headers).body;
  }

  static CapturingLogger* logger_;
  static HttpServer* server_;
};

CapturingLogger* ClientAddressServerTest::logger_ = nullptr;
HttpServer* ClientAddressServerTest::server_ = nullptr;

TEST_F(ClientAddressServerTest, TrustedProxyIsBelieved) {
  EXPECT_EQ(WhoAmI("127.0.0.1", {{"X-Forwarded-For", "6.6.6.6, 203.0.113.9"}}),
            R"({"client":"203.0.113.9","peer":"127.0.0.1"})");
}

TEST_F(ClientAddressServerTest, UntrustedPeerIsNotBelieved) {
  EXPECT_EQ(WhoAmI("127.0.0.2", {{"X-Forwarded-For", "203.0.113.9"}}),
            R"({"client":"127.0.0.2","peer":"127.0.0.2"})");
}

TEST_F(ClientAddressServerTest, NoHeaderMeansThePeer) {
  EXPECT_EQ(WhoAmI("127.0.0.1", {}), R"({"client":"127.0.0.1","peer":"127.0.0.1"})");
}

TEST_F(ClientAddressServerTest, RepeatedLinesAreJoinedInOrder) {
  // A proxy that adds its own line after the client's: the last line is the
  // proxy's, and Pistache alone would have kept only the client's first.
  EXPECT_EQ(
      WhoAmI("127.0.0.1", {{"X-Forwarded-For", "6.6.6.6"}, {"X-Forwarded-For", "203.0.113.9"}}),
      R"({"client":"203.0.113.9","peer":"127.0.0.1"})");
}

TEST(ClientAddressOptionsTest, AMalformedProxyIsRefusedAtConstruction) {
  CapturingLogger logger;
  HttpServerOptions options;
  options.trusted_proxies = {"10.0.0.0/40"};
  EXPECT_THROW(HttpServer(options, logger), std::invalid_argument);
}

}  // namespace
}  // namespace switchboard::http
