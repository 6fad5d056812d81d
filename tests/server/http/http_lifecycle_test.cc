// HttpServer configuration errors, draining shutdown and TLS. Each suite
// that serves uses one server (Pistache leaks descriptors per Endpoint).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include "capturing_logger.h"
#include "http/http_server.h"
#include "http_client.h"
#include "missing_tool.h"
#include "test_database.h"

namespace switchboard::http {
namespace {

using namespace std::chrono_literals;
using testing::CapturingLogger;
using testing::HttpConnection;
using testing::HttpResponse;

Response NoContent(const Request&) { return Response::NoContent(); }

// Runs a shell command and returns its standard output.
std::string Shell(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  pclose(pipe);
  return out;
}

TEST(HttpServerConfigTest, RejectsBadRoutes) {
  CapturingLogger logger;
  HttpServer server(HttpServerOptions{}, logger);
  EXPECT_THROW(server.Get("ping", NoContent), std::invalid_argument);
  EXPECT_THROW(server.Get("/a/:id?", NoContent), std::invalid_argument);
  EXPECT_THROW(server.Get("/a/*", NoContent), std::invalid_argument);
  EXPECT_THROW(server.Get("/a//b", NoContent), std::invalid_argument);
  EXPECT_THROW(server.Route("BREW", "/pot", NoContent, Body::kAny), std::invalid_argument);
  server.Get("/a/:id", NoContent);
  EXPECT_THROW(server.Get("/a/:id", NoContent), std::invalid_argument);    // duplicate
  EXPECT_THROW(server.Put("/a/:uuid", NoContent), std::invalid_argument);  // same shape
  EXPECT_NO_THROW(server.Put("/a/:id", NoContent));
  EXPECT_NO_THROW(server.Get("/a/summary", NoContent));  // fixed beside a parameter
}

TEST(HttpServerConfigTest, RejectsBadOptions) {
  CapturingLogger logger;
  HttpServerOptions no_threads;
  no_threads.threads = 0;
  EXPECT_THROW(HttpServer(no_threads, logger), std::invalid_argument);
  HttpServerOptions half_tls;
  half_tls.tls_cert_file = "/tmp/cert.pem";
  EXPECT_THROW(HttpServer(half_tls, logger), std::invalid_argument);
  HttpServer no_routes(HttpServerOptions{}, logger);
  EXPECT_THROW(no_routes.Serve(), std::logic_error);
}

TEST(HttpServerConfigTest, ServeReportsAnAddressInUse) {
  const int busy = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(busy, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(busy, 1), 0);
  socklen_t length = sizeof address;
  ::getsockname(busy, reinterpret_cast<sockaddr*>(&address), &length);

  CapturingLogger logger;
  HttpServerOptions options;
  options.address = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  HttpServer server(options, logger);
  server.Get("/", NoContent);
  try {
    server.Serve();
    ADD_FAILURE() << "Serve() on a busy port succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot serve HTTP on " + options.address),
              std::string::npos)
        << e.what();
  }
  ::close(busy);
}

// Shutdown() waits for the request in a handler, refuses new ones, and
// returns only once every Pistache thread is gone.
TEST(HttpShutdownTest, DrainsInFlightRequestsAndRefusesNewOnes) {
  CapturingLogger logger;
  HttpServerOptions options;
  options.address = "127.0.0.1:0";
  options.threads = 2;
  options.drain_timeout = 5s;
  HttpServer server(options, logger);
  std::mutex mutex;
  std::condition_variable changed;
  bool entered = false, released = false, finished = false;
  server.Get("/worker", [](const Request&) {
    std::ostringstream id;
    id << std::this_thread::get_id();
    return Response::Text(200, id.str());
  });
  server.Get("/hold", [&](const Request&) {
    std::unique_lock<std::mutex> lock(mutex);
    entered = true;
    changed.notify_all();
    changed.wait_for(lock, 10s, [&] { return released; });
    finished = true;
    return Response::Text(200, "held");
  });
  server.Serve();
  EXPECT_THROW(server.Get("/late", NoContent), std::logic_error);

  // Two connections served by different workers (Pistache pins a connection
  // to worker fd % threads), so one can be refused while the other's
  // handler holds its worker. In one process client and server descriptors
  // alternate, so every accepted one would be even: a spare descriptor
  // shifts the parity. Everything stays open so no number is reused.
  std::vector<std::unique_ptr<HttpConnection>> tried;
  std::vector<int> spares;
  HttpConnection* held = nullptr;
  HttpConnection* other = nullptr;
  std::string held_worker;
  for (int i = 0; i < 16 && other == nullptr; ++i) {
    tried.push_back(HttpConnection::Connect(server.port()));
    const std::string worker = tried.back()->Request("GET", "/worker").body;
    if (held == nullptr) {
      held = tried.back().get();
      held_worker = worker;
    } else if (worker != held_worker) {
      other = tried.back().get();
    }
    spares.push_back(::socket(AF_INET, SOCK_STREAM, 0));
  }
  ASSERT_NE(other, nullptr) << "every connection landed on one worker";

  held->SendRaw(testing::FormatRequest("GET", "/hold"));
  {
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, 5s, [&] { return entered; }));
  }
  std::atomic<bool> stopped = false;
  std::thread stopper([&] {
    server.Shutdown();
    stopped = true;
  });
  // Whatever fails below, let the handler go and join before unwinding.
  struct Release {
    std::function<void()> run;
    ~Release() { run(); }
  } release{[&] {
    {
      std::lock_guard<std::mutex> lock(mutex);
      released = true;
    }
    changed.notify_all();
    if (stopper.joinable()) stopper.join();
  }};

  HttpResponse refused;
  for (int i = 0; i < 200; ++i) {
    refused = other->Request("GET", "/worker");
    if (refused.status == 503) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(refused.status, 503);
  EXPECT_NE(refused.body.find(R"("code":"unavailable")"), std::string::npos);
  EXPECT_EQ(refused.Header("Connection"), "Close");
  EXPECT_FALSE(stopped) << "Shutdown() returned while a request was in flight";

  {
    std::lock_guard<std::mutex> lock(mutex);
    released = true;
  }
  changed.notify_all();
  const HttpResponse response = held->ReadResponse();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "held");
  stopper.join();  // Shutdown() returned once the held request was answered
  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_TRUE(finished);
  EXPECT_FALSE(logger.Contains("still in flight"));
  for (int fd : spares) ::close(fd);
}

class HttpsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    const std::string cert = dir_->path() + "/cert.pem";
    const std::string key = dir_->path() + "/key.pem";
    const std::string command =
        "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout " + key +
        " -out " + cert + " > /dev/null 2>&1";
    if (std::system(command.c_str()) != 0) return;
    logger_ = new CapturingLogger;
    HttpServerOptions options;
    options.address = "127.0.0.1:0";
    options.tls_cert_file = cert;
    options.tls_key_file = key;
    server_ = new HttpServer(options, *logger_);
    server_->Get("/ping", [](const Request&) { return Response::Json(200, R"({"ok":true})"); });
    // Completed on another thread, as the password checks of /mqtt/auth are:
    // the TLS connection's worker must still do the writing.
    server_->Get("/later", [](const Request&) {
      return Response::Deferred([](Completion done) {
        std::thread([done] { done(Response::Json(200, R"({"later":true})")); }).detach();
      });
    });
    server_->Serve();
  }
  static void TearDownTestSuite() {
    delete server_;  // shuts down
    delete logger_;
    delete dir_;
  }
  void SetUp() override {
    if (server_ == nullptr) SWITCHBOARD_MISSING_TOOL("openssl could not make a certificate");
    if (!testing::ToolOnPath("curl")) SWITCHBOARD_MISSING_TOOL("curl is not installed");
  }
  static std::string Url(const std::string& path) {
    return "https://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

  static inline testing::TempDir* dir_ = nullptr;
  static inline CapturingLogger* logger_ = nullptr;
  static inline HttpServer* server_ = nullptr;
};

TEST_F(HttpsTest, ServesJsonOverTls) {
  EXPECT_EQ(Shell("curl -sk " + Url("/ping")), R"({"ok":true})");
  EXPECT_EQ(Shell("curl -sk -o /dev/null -w '%{http_code}' " + Url("/nope")), "404");
}

TEST_F(HttpsTest, KeepsTheTlsConnectionOpen) {
  const std::string url = " -o /dev/null " + Url("/ping");
  EXPECT_EQ(Shell("curl -sk -w '%{http_code}:%{num_connects} '" + url + url), "200:1 200:0 ");
}

TEST_F(HttpsTest, ClosesCleanlyOnConnectionClose) {
  // curl exits non-zero on a TLS error (e.g. EOF without close_notify).
  EXPECT_EQ(Shell("curl -sk -H 'Connection: close' " + Url("/ping") + " && echo ' ok'"),
            R"({"ok":true} ok)"
            "\n");
}

TEST_F(HttpsTest, ADeferredResponseCompletedOnAnotherThreadIsSentOverTls) {
  // Twice on one kept-alive connection, then with Connection: close, whose
  // close_notify curl checks.
  const std::string url = " " + Url("/later");
  EXPECT_EQ(Shell("curl -sk -m 10 -w ':%{num_connects} '" + url + url),
            R"({"later":true}:1 {"later":true}:0 )");
  EXPECT_EQ(Shell("curl -sk -m 10 -H 'Connection: close' " + Url("/later") + " && echo ' ok'"),
            R"({"later":true} ok)"
            "\n");
}

}  // namespace
}  // namespace switchboard::http
