// Response::Deferred end to end on an in-process server with ONE worker
// thread: a request whose answer another thread completes must not hold
// that worker, requests pipelined behind it keep their order, and a
// completion that never comes (or comes after shutdown) still ends well.
#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "capturing_logger.h"
#include "http/http_metrics.h"
#include "http/http_server.h"
#include "http_client.h"

namespace switchboard::http {
namespace {

using testing::CapturingLogger;
using testing::HttpConnection;
using testing::HttpResponse;

// Completions handed over by /deferred, for the test thread to complete.
class Parked {
 public:
  void Put(Completion completion) {
    std::lock_guard<std::mutex> lock(mutex_);
    parked_.push_back(std::move(completion));
    arrived_.notify_all();
  }
  // Waits (bounded only to keep a broken server from hanging the suite).
  Completion Take() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!arrived_.wait_for(lock, std::chrono::seconds(10), [&] { return !parked_.empty(); })) {
      throw std::runtime_error("no deferred request arrived");
    }
    Completion completion = std::move(parked_.front());
    parked_.pop_front();
    return completion;
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<Completion> parked_;
};

// Completes every completion it is given at once, on its own thread: the
// timing a password-check pool gives, where the completion races the worker.
class AutoCompleter {
 public:
  AutoCompleter()
      : thread_([this] {
          for (;;) {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
            if (queue_.empty()) return;
            Completion done = std::move(queue_.front());
            queue_.pop_front();
            lock.unlock();
            done(Response::Json(200, R"({"auto":true})"));
          }
        }) {}
  ~AutoCompleter() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  void Put(Completion completion) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(completion));
    }
    wake_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Completion> queue_;
  bool stop_ = false;
  std::thread thread_;
};

class DeferredResponseTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    logger_ = new CapturingLogger;
    registry_ = new MetricsRegistry;
    parked_ = new Parked;
    completer_ = new AutoCompleter;
    HttpServerOptions options;
    options.address = "127.0.0.1:0";
    options.threads = 1;  // one worker: a held worker would stall every test below
    server_ = new HttpServer(options, *logger_);
    server_->SetRequestObserver(HttpMetricsObserver(*registry_));
    server_->Get("/ping", [](const Request&) { return Response::Json(200, R"({"ok":true})"); });
    server_->Get("/deferred", [](const Request&) {
      return Response::Deferred([](Completion done) { parked_->Put(std::move(done)); });
    });
    server_->Get("/auto", [](const Request&) {
      return Response::Deferred([](Completion done) { completer_->Put(std::move(done)); });
    });
    server_->Get("/dropped", [](const Request&) {
      return Response::Deferred([](Completion) {});  // loses the completion
    });
    server_->Get("/throws", [](const Request&) {
      return Response::Deferred([](Completion) { throw std::runtime_error("start failed"); });
    });
    server_->Get("/metrics", MetricsHandler(*registry_));
    server_->Serve();
  }
  static void TearDownTestSuite() {
    server_->Shutdown();
    delete server_;
    delete completer_;
    delete parked_;
    delete registry_;
    delete logger_;
  }
  static std::uint16_t port() { return server_->port(); }

  static inline CapturingLogger* logger_ = nullptr;
  static inline MetricsRegistry* registry_ = nullptr;
  static inline Parked* parked_ = nullptr;
  static inline AutoCompleter* completer_ = nullptr;
  static inline HttpServer* server_ = nullptr;
};

TEST_F(DeferredResponseTest, TheWorkerServesOthersWhileAResponseIsPending) {
  auto waiting = HttpConnection::Connect(port());
  waiting->SendRaw(testing::FormatRequest("GET", "/deferred"));
  Completion done = parked_->Take();
  // The only worker is free: another connection is answered meanwhile.
  EXPECT_EQ(testing::OneShot(port(), "GET", "/ping").status, 200);
  std::thread([done] { done(Response::Json(202, R"({"late":true})")); }).join();
  const HttpResponse r = waiting->ReadResponse();
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, R"({"late":true})");
  EXPECT_EQ(r.Header("Connection"), "Keep-Alive");
  EXPECT_EQ(waiting->Request("GET", "/ping").status, 200) << "the connection stays usable";
}

TEST_F(DeferredResponseTest, PipelinedRequestsBehindADeferredOneKeepTheirOrder) {
  auto connection = HttpConnection::Connect(port());
  connection->SendRaw(
      testing::FormatRequest("GET", "/deferred") + testing::FormatRequest("GET", "/ping") +
      testing::FormatRequest("GET", "/deferred") + testing::FormatRequest("GET", "/ping"));
  parked_->Take()(Response::Json(200, R"({"n":1})"));
  parked_->Take()(Response::Json(200, R"({"n":2})"));
  EXPECT_EQ(connection->ReadResponse().body, R"({"n":1})");
  EXPECT_EQ(connection->ReadResponse().body, R"({"ok":true})");
  EXPECT_EQ(connection->ReadResponse().body, R"({"n":2})");
  EXPECT_EQ(connection->ReadResponse().body, R"({"ok":true})");
}

// Completions racing the worker (they may be written before the worker
// has finished with the request): every answer arrives, in order, on a
// kept-alive connection, interleaved with immediate ones.
TEST_F(DeferredResponseTest, ManyDeferredAndImmediateRequestsOnOneConnectionAllArrive) {
  auto connection = HttpConnection::Connect(port());
  for (int i = 0; i < 2000; ++i) {
    const bool deferred = i % 3 != 2;
    const HttpResponse r = connection->Request("GET", deferred ? "/auto" : "/ping");
    ASSERT_EQ(r.body, deferred ? R"({"auto":true})" : R"({"ok":true})") << "request " << i;
  }
  // Pipelined in bursts too.
  std::string burst;
  for (int i = 0; i < 20; ++i) burst += testing::FormatRequest("GET", i % 2 ? "/ping" : "/auto");
  for (int round = 0; round < 20; ++round) {
    connection->SendRaw(burst);
    for (int i = 0; i < 20; ++i) {
      ASSERT_EQ(connection->ReadResponse().body, i % 2 ? R"({"ok":true})" : R"({"auto":true})")
          << "round " << round << ", request " << i;
    }
  }
}

TEST_F(DeferredResponseTest, ACloseResponseCompletedOnAnotherThreadArrivesWholeThenEof) {
  for (int i = 0; i < 50; ++i) {
    auto connection = HttpConnection::Connect(port());
    connection->SendRaw("GET /auto HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    const HttpResponse r = connection->ReadResponse();
    ASSERT_EQ(r.body, R"({"auto":true})") << "connection " << i;
    EXPECT_EQ(r.Header("Connection"), "Close");
    ASSERT_TRUE(connection->WaitForClose()) << "connection " << i << " was not closed";
  }
}

TEST_F(DeferredResponseTest, ALostOrFailedCompletionIsAJson500) {
  for (const char* route : {"/dropped", "/throws"}) {
    auto connection = HttpConnection::Connect(port());
    const HttpResponse r = connection->Request("GET", route);
    EXPECT_EQ(r.status, 500) << route;
    EXPECT_EQ(r.body, R"({"error":{"code":"internal","message":"internal error"}})");
    EXPECT_EQ(connection->Request("GET", "/ping").status, 200) << route;
  }
  EXPECT_TRUE(logger_->Contains("a deferred response was never completed"));
  EXPECT_TRUE(logger_->Contains("deferred start failed: start failed"));
}

TEST_F(DeferredResponseTest, OnlyTheFirstCompletionIsSent) {
  auto connection = HttpConnection::Connect(port());
  connection->SendRaw(testing::FormatRequest("GET", "/deferred"));
  Completion done = parked_->Take();
  done(Response::Json(200, R"({"first":true})"));
  done(Response::Json(200, R"({"second":true})"));
  EXPECT_EQ(connection->ReadResponse().body, R"({"first":true})");
  EXPECT_EQ(connection->Request("GET", "/ping").body, R"({"ok":true})");
}

TEST_F(DeferredResponseTest, TheObserverSeesTheCompletedStatus) {
  auto connection = HttpConnection::Connect(port());
  connection->SendRaw(testing::FormatRequest("GET", "/deferred"));
  parked_->Take()(Response::Json(418, "{}"));
  EXPECT_EQ(connection->ReadResponse().status, 418);
  const std::string metrics = testing::OneShot(port(), "GET", "/metrics").body;
  EXPECT_NE(
      metrics.find(
          R"(switchboard_http_requests_total{route="/deferred",method="GET",status="418"} 1)"),
      std::string::npos)
      << metrics;
}

// One worker; a header timeout short enough to pass within a test, a
// keep-alive timeout that never does.
HttpServerOptions ShortHeaderTimeoutOptions() {
  HttpServerOptions options;
  options.address = "127.0.0.1:0";
  options.threads = 1;
  options.header_timeout = std::chrono::milliseconds(300);
  options.body_timeout = std::chrono::milliseconds(300);
  options.keepalive_timeout = std::chrono::seconds(60);
  return options;
}

// The worker marks a connection idle when it sends a response, and its
// timeouts read that mark: an idle connection waits for keepalive_timeout,
// one still serving a request gets 408 after header_timeout. A response
// completed on another thread must leave the connection idle too.
TEST(DeferredIdleTest, AfterADeferredResponseTheConnectionWaitsForKeepAliveNotA408) {
  CapturingLogger logger;
  AutoCompleter completer;
  HttpServer server(ShortHeaderTimeoutOptions(), logger);
  server.Get("/ping", [](const Request&) { return Response::Json(200, R"({"ok":true})"); });
  server.Get("/auto", [&completer](const Request&) {
    return Response::Deferred([&completer](Completion done) { completer.Put(std::move(done)); });
  });
  server.Serve();
  auto connection = HttpConnection::Connect(server.port());
  ASSERT_EQ(connection->Request("GET", "/auto").body, R"({"auto":true})");
  // Past header_timeout by two of Pistache's 500 ms timeout checks.
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  const HttpResponse r = connection->Request("GET", "/ping");
  EXPECT_EQ(r.status, 200) << "an idle connection was timed out as a slow request";
  EXPECT_EQ(r.body, R"({"ok":true})");
}

// While its response is pending, a connection is not a slow client either:
// no 408 ahead of the response, however long past header_timeout it comes
// (within keepalive_timeout), and a request pipelined behind it waits too.
TEST(DeferredIdleTest, ALongPendingResponseGetsNo408AheadOfIt) {
  CapturingLogger logger;
  Parked parked;
  HttpServer server(ShortHeaderTimeoutOptions(), logger);
  server.Get("/ping", [](const Request&) { return Response::Json(200, R"({"ok":true})"); });
  server.Get("/deferred", [&parked](const Request&) {
    return Response::Deferred([&parked](Completion done) { parked.Put(std::move(done)); });
  });
  server.Serve();
  auto connection = HttpConnection::Connect(server.port());
  connection->SendRaw(testing::FormatRequest("GET", "/deferred") +
                      testing::FormatRequest("GET", "/ping"));
  Completion done = parked.Take();
  // Past header_timeout by two of Pistache's 500 ms timeout checks.
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  std::thread([done] { done(Response::Json(200, R"({"late":true})")); }).join();
  const HttpResponse first = connection->ReadResponse();
  EXPECT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.body, R"({"late":true})");
  EXPECT_EQ(connection->ReadResponse().body, R"({"ok":true})");
  EXPECT_EQ(connection->Request("GET", "/ping").status, 200);
}

TEST(DeferredShutdownTest, ShutdownWaitsForAPendingCompletion) {
  CapturingLogger logger;
  Parked parked;
  HttpServerOptions options;
  options.address = "127.0.0.1:0";
  options.threads = 1;
  options.drain_timeout = std::chrono::seconds(30);
  HttpServer server(options, logger);
  server.Get("/deferred", [&parked](const Request&) {
    return Response::Deferred([&parked](Completion done) { parked.Put(std::move(done)); });
  });
  server.Serve();
  auto connection = HttpConnection::Connect(server.port());
  connection->SendRaw(testing::FormatRequest("GET", "/deferred"));
  Completion done = parked.Take();
  // Shutdown returns only once the response is written (or its timeout
  // passes): complete while it waits.
  std::future<void> stopped = std::async(std::launch::async, [&] { server.Shutdown(); });
  done(Response::Json(200, R"({"in":"time"})"));
  EXPECT_EQ(connection->ReadResponse().body, R"({"in":"time"})");
  stopped.get();
  EXPECT_FALSE(logger.Contains("still in flight"));
}

TEST(DeferredShutdownTest, ACompletionAfterShutdownSendsNothing) {
  CapturingLogger logger;
  Parked parked;
  HttpServerOptions options;
  options.address = "127.0.0.1:0";
  options.threads = 1;
  options.drain_timeout = std::chrono::milliseconds(100);
  auto server = std::make_unique<HttpServer>(options, logger);
  server->Get("/deferred", [&parked](const Request&) {
    return Response::Deferred([&parked](Completion done) { parked.Put(std::move(done)); });
  });
  server->Serve();
  auto connection = HttpConnection::Connect(server->port());
  connection->SendRaw(testing::FormatRequest("GET", "/deferred"));
  Completion late = parked.Take();
  server->Shutdown();  // gives up on it after the drain timeout
  EXPECT_TRUE(logger.Contains("1 request(s) still in flight"));
  server.reset();
  // The transports are gone: sending now would write through freed memory
  // (a crash, or an AddressSanitizer report under SANITIZE=1).
  late(Response::Json(200, R"({"too":"late"})"));
  EXPECT_FALSE(logger.Contains("deferred response had"));
}

}  // namespace
}  // namespace switchboard::http
