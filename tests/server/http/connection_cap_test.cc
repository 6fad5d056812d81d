// HttpServerOptions::max_connections: a connection beyond the cap is
// answered 503 (JSON, Retry-After, Connection: close) and closed at accept,
// the connections already held are served as before, and once one of them
// closes new connections are served again. One server, one worker thread:
// the worker handles a connection's close before a request that arrives
// after it on another connection.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "capturing_logger.h"
#include "http/http_metrics.h"
#include "http/http_server.h"
#include "http_client.h"

namespace switchboard::http {
namespace {

using namespace std::chrono_literals;
using testing::CapturingLogger;
using testing::HttpConnection;
using testing::HttpResponse;

void ExpectOverCapacity(const HttpResponse& response) {
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.Header("Connection"), "close");
  EXPECT_EQ(response.Header("Retry-After"), "1");
  EXPECT_EQ(response.Header("Content-Type"), "application/json");
  EXPECT_TRUE(response.Header("X-Request-Id").has_value());
  EXPECT_EQ(response.body,
            R"({"error":{"code":"unavailable","message":"too many connections; retry later"}})");
}

TEST(HttpConnectionCapTest, RefusesConnectionsBeyondTheCapAndServesAgainAfterOneCloses) {
  CapturingLogger logger;
  HttpServerOptions options;
  options.address = "127.0.0.1:0";
  options.threads = 1;
  options.max_connections = 2;
  HttpServer server(options, logger);
  server.Get("/ping", [](const Request&) { return Response::Json(200, R"({"ok":true})"); });
  std::atomic<int> opened{0}, closed{0}, refused{0};
  server.SetConnectionObserver([&](bool was_opened, bool was_refused) {
    (was_opened ? opened : closed)++;
    if (was_refused) refused++;
  });
  MetricsRegistry registry;
  const ConnectionObserver metrics = HttpConnectionMetrics(registry);
  server.Serve();

  auto first = HttpConnection::Connect(server.port());
  auto second = HttpConnection::Connect(server.port());
  // An answer on each proves the server counted both.
  EXPECT_EQ(first->Request("GET", "/ping").status, 200);
  EXPECT_EQ(second->Request("GET", "/ping").status, 200);

  // The third is answered before it sends anything, and closed.
  auto third = HttpConnection::Connect(server.port());
  ExpectOverCapacity(third->ReadResponse());
  EXPECT_TRUE(third->WaitForClose());
  // One that sent its request first gets the same, never the route's answer.
  auto fourth = HttpConnection::Connect(server.port());
  fourth->SendRaw(testing::FormatRequest("GET", "/ping"));
  ExpectOverCapacity(fourth->ReadResponse());
  EXPECT_TRUE(fourth->WaitForClose());
  EXPECT_EQ(refused.load(), 2);
  EXPECT_TRUE(logger.Contains("WARN http: 2 connections open (server.max_connections)"));

  // The connections held are served as before, keep-alive included.
  EXPECT_EQ(first->Request("GET", "/ping").status, 200);
  EXPECT_EQ(second->Request("GET", "/ping").status, 200);

  // One closes: its place is free for the next client.
  second.reset();
  EXPECT_EQ(first->Request("GET", "/ping").status, 200);  // the close was handled first
  auto fifth = HttpConnection::Connect(server.port());
  const HttpResponse served = fifth->Request("GET", "/ping");
  EXPECT_EQ(served.status, 200);
  EXPECT_EQ(served.Header("Connection"), "Keep-Alive");
  EXPECT_EQ(refused.load(), 2);
  EXPECT_EQ(opened.load(), 5);
  // first and fifth are still open; the refused ones and second are closed.
  EXPECT_EQ(closed.load(), 3);

  // The metrics observer counts the same way.
  metrics(true, false);
  metrics(true, true);
  metrics(false, false);
  const std::string text = registry.Render();
  EXPECT_NE(text.find("switchboard_http_connections 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("switchboard_http_connections_refused_total 1\n"), std::string::npos) << text;
  server.Shutdown();
}

}  // namespace
}  // namespace switchboard::http
