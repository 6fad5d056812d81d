// The HTTP behaviour of the real `switchboard serve`, on both backends:
// keep-alive for clients that send no Connection header, `Connection: close`
// honoured, JSON 404/405, and a graceful SIGTERM that answers every request
// already sent.
#include <gtest/gtest.h>
#include <signal.h>

#include <iostream>
#include <thread>

#include "device_api_test_support.h"

namespace switchboard {
namespace {

using testing::DeviceApiTest;
using testing::ExpectApiError;
using testing::FormatRequest;
using testing::Headers;
using testing::HttpConnection;
using testing::HttpResponse;
using testing::JsonHeaders;
using testing::NewUuid;
using testing::OneShot;
using testing::RegistrationBody;
using testing::ServeOptions;
using testing::SwitchboardProcess;

class HttpBehaviourTest : public DeviceApiTest {};

// Connection tokens are case-insensitive (RFC 9110 §7.6.1).
std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

TEST_P(HttpBehaviourTest, KeepAliveWithoutAConnectionHeaderAndCloseWhenAsked) {
  AddBroker("primary", {{"is_default", "1"}});
  const std::string key = AddKey("fleet-a");
  auto server = SwitchboardProcess::Start(ServeOptions(url()));

  // 200 requests on one socket, as curl/Node/Python send them (HTTP/1.1, no
  // Connection header): the client never reconnects, so if the server had
  // closed the socket a Request() would throw.
  auto connection = HttpConnection::Connect(server->port());
  for (int i = 0; i < 200; ++i) {
    const HttpResponse r = i % 20 == 19
                               ? connection->Request("POST", "/api/v1/device/register",
                                                     JsonHeaders(key), RegistrationBody(NewUuid()))
                               : connection->Request("GET", "/healthz");
    ASSERT_EQ(r.status, 200) << "request " << i << ": " << r.body;
    const std::string header = r.Header("Connection").value_or("");
    ASSERT_NE(Lower(header), "close") << "request " << i << ": " << header;
  }
  EXPECT_FALSE(connection->WaitForClose(std::chrono::milliseconds(200)));
  EXPECT_EQ(Count("devices"), 10);

  // `Connection: close`: answered, then the server closes.
  const HttpResponse last = connection->Request("GET", "/healthz", {{"Connection", "close"}});
  EXPECT_EQ(last.status, 200);
  EXPECT_EQ(Lower(last.Header("Connection").value_or("")), "close");
  EXPECT_TRUE(connection->WaitForClose());

  // Also on an error response and on a POST.
  auto second = HttpConnection::Connect(server->port());
  Headers headers = JsonHeaders(key);
  headers.push_back({"Connection", "close"});
  const HttpResponse refused = second->Request("POST", "/api/v1/device/register", headers, "{}");
  EXPECT_EQ(refused.status, 400);
  EXPECT_TRUE(second->WaitForClose());
}

TEST_P(HttpBehaviourTest, UnknownRouteIs404AndWrongMethodIs405AsJson) {
  auto server = SwitchboardProcess::Start(ServeOptions(url()));
  for (const char* target :
       {"/", "/api/v1/nothing", "/api/v1/device/register/extra", "/api/v2/device/register"}) {
    SCOPED_TRACE(target);
    ExpectApiError(OneShot(server->port(), "GET", target), 404, "not_found");
  }
  const HttpResponse get = OneShot(server->port(), "GET", "/api/v1/device/register");
  ExpectApiError(get, 405, "method_not_allowed");
  EXPECT_EQ(get.Header("Allow").value_or(""), "POST");
  const HttpResponse del =
      OneShot(server->port(), "DELETE", "/api/v1/device/" + NewUuid() + "/mqtt");
  ExpectApiError(del, 405, "method_not_allowed");
  EXPECT_EQ(del.Header("Allow").value_or(""), "GET");
  ExpectApiError(OneShot(server->port(), "POST", "/healthz"), 405, "method_not_allowed");
  // A 404/405 leaves a keep-alive connection usable.
  auto connection = HttpConnection::Connect(server->port());
  EXPECT_EQ(connection->Request("GET", "/nope").status, 404);
  EXPECT_EQ(connection->Request("PUT", "/healthz").status, 405);
  EXPECT_EQ(connection->Request("GET", "/healthz").status, 200);
}

// Slow and idle clients time out (docs/http-layer.md): a request head that never
// completes gets 408 and the connection closed; an idle keep-alive
// connection is closed. Pistache checks its timers every 500 ms.
TEST_P(HttpBehaviourTest, SlowAndIdleClientsTimeOut) {
  if (backend() != "sqlite") GTEST_SKIP() << "storage plays no part: run once, on SQLite";
  auto options = ServeOptions(url());
  options.server_yaml = "  header_timeout: 500ms\n  keepalive_timeout: 1s\n";
  auto server = SwitchboardProcess::Start(options);

  auto slow = HttpConnection::Connect(server->port());
  slow->SendRaw("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // never the blank line
  const HttpResponse timed_out = slow->ReadResponse(std::chrono::seconds(5));
  EXPECT_EQ(timed_out.status, 408) << timed_out.body;
  EXPECT_TRUE(slow->WaitForClose(std::chrono::seconds(3)));

  auto idle = HttpConnection::Connect(server->port());
  EXPECT_EQ(idle->Request("GET", "/healthz").status, 200);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(idle->WaitForClose(std::chrono::seconds(5)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  // Meanwhile the server kept serving others.
  EXPECT_EQ(OneShot(server->port(), "GET", "/healthz").status, 200);
}

// SIGTERM while registrations run: every request that had been sent gets a
// complete response; the ones already in a handler finish normally (200,
// committed); one still queued behind a busy worker is answered 503
// "shutting down" with `Connection: close` and commits nothing (HttpServer
// drains what is in flight and refuses what is new, see http_server.h). No
// connection is dropped without an answer, and the process exits 0.
TEST_P(HttpBehaviourTest, GracefulShutdownAnswersEveryRequestInFlight) {
  constexpr int kConnections = 8;
  AddBroker("primary", {{"is_default", "1"}});
  const std::string key = AddKey("fleet-a");
  auto options = ServeOptions(url());
  options.threads = 4;
  // A step that takes 400 ms keeps registrations in their handlers.
  options.resolution_yaml = std::string("resolution:\n  plugin_dirs: [\"") +
                            SWITCHBOARD_PLUGIN_DIR + "\", \"" + SWITCHBOARD_TEST_PLUGIN_DIR +
                            "\"]\n  chain:\n    - plugin: scripted\n"
                            "      params: {outcome: pass, sleep_us: 400000}\n"
                            "    - plugin: default\n";
  auto server = SwitchboardProcess::Start(options);

  std::vector<std::unique_ptr<HttpConnection>> connections;
  std::vector<std::string> uuids;
  for (int i = 0; i < kConnections; ++i) {
    connections.push_back(HttpConnection::Connect(server->port()));
    // Accepted and served once, so the connection is not in the backlog.
    ASSERT_EQ(connections.back()->Request("GET", "/healthz").status, 200);
  }
  for (int i = 0; i < kConnections; ++i) {
    uuids.push_back(NewUuid());
    connections[i]->SendRaw(FormatRequest("POST", "/api/v1/device/register", JsonHeaders(key),
                                          RegistrationBody(uuids.back())));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(250));  // some are in handlers
  server->Signal(SIGTERM);

  int served = 0, refused = 0;
  for (int i = 0; i < kConnections; ++i) {
    SCOPED_TRACE("connection " + std::to_string(i));
    HttpResponse response;
    ASSERT_NO_THROW(response = connections[i]->ReadResponse(std::chrono::seconds(15)))
        << server->Log();
    const bool stored = Count("devices", "uuid = '" + uuids[i] + "'") == 1;
    if (response.status == 200) {
      ++served;
      EXPECT_TRUE(stored);
    } else {
      ++refused;
      EXPECT_NE(ExpectApiError(response, 503, "unavailable").find("shutting down"),
                std::string::npos);
      EXPECT_EQ(Lower(response.Header("Connection").value_or("")), "close");
      EXPECT_FALSE(stored);
    }
  }
  EXPECT_GE(served, 1) << "no registration was in a handler when SIGTERM arrived";
  std::cout << "[ shutdown ] " << served << " served, " << refused << " answered 503\n";
  EXPECT_EQ(Count("devices"), served);
  EXPECT_EQ(KeyCounter(key), served);
  EXPECT_EQ(server->Stop(0), 0) << server->Log();  // signal 0: only wait for the exit
  EXPECT_NE(server->Log().find("draining in-flight requests"), std::string::npos);
}

SWITCHBOARD_BOTH_BACKENDS(HttpBehaviourTest);

}  // namespace
}  // namespace switchboard
