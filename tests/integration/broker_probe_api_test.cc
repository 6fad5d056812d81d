// POST /api/v1/mqtt/brokers/{id}/test against small fake brokers, and the
// sanitisation rule: a broker's password, client_key and extra_config never
// appear in any response nor in the server's log.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "api_test_support.h"

namespace switchboard {
namespace {

using testing::ExpectError;
using testing::Int;
using testing::IsNull;
using testing::Json;
using testing::MemberNames;
using testing::String;

// Listens on 127.0.0.1 (a free port). Each connection: read the CONNECT,
// then answer CONNACK with `connack_code`, or stay silent when it is < 0,
// and keep the connection until the client closes it.
class FakeMqttBroker {
 public:
  explicit FakeMqttBroker(int connack_code) : connack_code_(connack_code) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(fd_, 4) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "cannot listen";
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~FakeMqttBroker() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  // Every byte clients sent so far.
  std::string received() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_;
  }

 private:
  bool Readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 50) > 0;
  }
  void Run() {
    while (!stop_) {
      if (!Readable(fd_)) continue;
      const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      char buffer[1024];
      bool answered = false;
      while (!stop_) {
        if (!Readable(client)) continue;
        const ssize_t n = ::read(client, buffer, sizeof buffer);
        if (n <= 0) break;  // the client closed
        {
          std::lock_guard<std::mutex> lock(mutex_);
          received_.append(buffer, static_cast<std::size_t>(n));
        }
        if (!answered && connack_code_ >= 0) {
          const unsigned char connack[] = {0x20, 0x02, 0x00,
                                           static_cast<unsigned char>(connack_code_)};
          (void)!::write(client, connack, sizeof connack);
          answered = true;
        }
      }
      ::close(client);
    }
  }
  const int connack_code_;
  mutable std::mutex mutex_;
  std::string received_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A port on 127.0.0.1 where nothing listens.
std::uint16_t ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), length);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

class BrokerProbeApiTest : public testing::ServedDatabaseTest {
 protected:
  std::int64_t CreateBroker(const std::string& name, std::uint16_t port,
                            const std::string& extra = "") {
    const auto r = server_->Admin("POST", "/api/v1/mqtt/brokers",
                                  R"({"name":")" + name + R"(","host":"127.0.0.1","port":)" +
                                      std::to_string(port) + extra + "}");
    EXPECT_EQ(r.status, 201) << r.body;
    return Int(Json(r), "id");
  }
  testing::HttpResponse Probe(std::int64_t id) {
    return server_->Admin("POST", "/api/v1/mqtt/brokers/" + std::to_string(id) + "/test");
  }
};

TEST_P(BrokerProbeApiTest, ReachableBrokerAnswersConnack) {
  FakeMqttBroker broker(0);
  const std::int64_t id = CreateBroker("ok", broker.port());
  const auto r = Probe(id);
  ASSERT_EQ(r.status, 200) << r.body;
  auto result = Json(r);
  EXPECT_EQ(MemberNames(result),
            (std::vector<std::string>{"id", "reachable", "stage", "latencyMs", "error",
                                      "connackCode", "address", "timeoutMs"}));
  EXPECT_EQ(Int(result, "id"), id);
  EXPECT_TRUE(result["reachable"].GetBool());
  EXPECT_EQ(String(result, "stage"), "mqtt");
  EXPECT_TRUE(result["latencyMs"].IsNumber());
  EXPECT_GT(result["latencyMs"].GetDouble(), 0.0);  // measured, not left at zero
  EXPECT_TRUE(IsNull(result, "error"));
  EXPECT_EQ(Int(result, "connackCode"), 0);
  EXPECT_EQ(String(result, "address"), "127.0.0.1:" + std::to_string(broker.port()));
  EXPECT_EQ(Int(result, "timeoutMs"), 5000);  // connect_timeout 30000, capped
}

TEST_P(BrokerProbeApiTest, RefusedConnackIsUnreachableWithItsCode) {
  FakeMqttBroker broker(5);
  const auto r = Probe(CreateBroker("refuses", broker.port()));
  ASSERT_EQ(r.status, 200) << r.body;
  auto result = Json(r);
  EXPECT_FALSE(result["reachable"].GetBool());
  EXPECT_EQ(String(result, "stage"), "mqtt");
  EXPECT_EQ(Int(result, "connackCode"), 5);
  EXPECT_NE(String(result, "error").find("not authorized"), std::string::npos) << r.body;
}

TEST_P(BrokerProbeApiTest, ClosedPortFailsAtTcp) {
  const auto r = Probe(CreateBroker("closed", ClosedPort()));
  ASSERT_EQ(r.status, 200) << r.body;
  auto result = Json(r);
  EXPECT_EQ(MemberNames(result), (std::vector<std::string>{"id", "reachable", "stage", "latencyMs",
                                                           "error", "address", "timeoutMs"}));
  EXPECT_FALSE(result["reachable"].GetBool());
  EXPECT_EQ(String(result, "stage"), "tcp");
  EXPECT_EQ(String(result, "error").rfind("tcp", 0), 0u) << r.body;
  EXPECT_TRUE(IsNull(result, "address"));
}

TEST_P(BrokerProbeApiTest, SilentBrokerIsBoundedByConnectTimeout) {
  FakeMqttBroker broker(-1);
  const std::int64_t id = CreateBroker("silent", broker.port(), R"(,"connect_timeout":300)");
  const auto r = Probe(id);
  ASSERT_EQ(r.status, 200) << r.body;
  auto result = Json(r);
  EXPECT_FALSE(result["reachable"].GetBool());
  EXPECT_EQ(String(result, "stage"), "mqtt");
  EXPECT_EQ(Int(result, "timeoutMs"), 300);
  // The probe gave up at the row's bound (a probe ignoring it would hang
  // until ctest's timeout).
  EXPECT_NE(String(result, "error").find("within 300 ms"), std::string::npos) << r.body;
}

TEST_P(BrokerProbeApiTest, UnknownBrokerIs404) {
  ExpectError(Probe(42), 404, "not_found");
  ExpectError(server_->Admin("POST", "/api/v1/mqtt/brokers/x/test"), 400, "invalid_request", "id");
}

TEST_P(BrokerProbeApiTest, SecretsNeverLeaveTheServer) {
  const std::string password = "pw-SECRET-7f3a9c";
  const std::string client_key = "KEY-SECRET-91b2d4";  // inside a PEM-like block below
  const std::string extra = "XTRA-SECRET-5e6f70";
  FakeMqttBroker broker(0);
  std::vector<testing::HttpResponse> responses;
  responses.push_back(
      server_->Admin("POST", "/api/v1/mqtt/brokers",
                     R"({"name":"s","host":"127.0.0.1","port":)" + std::to_string(broker.port()) +
                         R"(,"username":"svc","password":")" + password +
                         R"(","client_key":"-----BEGIN PRIVATE KEY-----\n)" + client_key +
                         R"(\n-----END PRIVATE KEY-----","extra_config":{"token":")" + extra +
                         R"("},"is_default":true})"));
  ASSERT_EQ(responses.back().status, 201) << responses.back().body;
  auto created = Json(responses.back());
  EXPECT_TRUE(created["has_password"].GetBool());
  EXPECT_TRUE(created["has_client_key"].GetBool());
  EXPECT_TRUE(created["has_extra_config"].GetBool());
  for (const char* hidden : {"password", "client_key", "extra_config"}) {
    EXPECT_FALSE(created.HasMember(hidden)) << hidden;
  }
  const std::string item = "/api/v1/mqtt/brokers/" + std::to_string(Int(created, "id"));
  responses.push_back(server_->Admin("GET", item));
  responses.push_back(server_->Admin("GET", "/api/v1/mqtt/brokers"));
  responses.push_back(server_->Admin("PUT", item, R"({"description":"still secret-free"})"));
  responses.push_back(server_->Admin("GET", "/api/v1/mqtt/brokers/summary"));
  responses.push_back(server_->Admin("POST", item + "/test"));
  EXPECT_EQ(responses.back().status, 200) << responses.back().body;
  // Errors about the secret fields do not echo them either.
  responses.push_back(
      server_->Admin("PUT", item, R"({"password":")" + password + R"(","port":0})"));
  EXPECT_EQ(responses.back().status, 400);
  responses.push_back(server_->Admin("PUT", item, R"({"extra_config":"{)" + extra + R"("})"));
  EXPECT_EQ(responses.back().status, 400);
  // A device resolved to this broker gets its config, never the secrets.
  const std::string key = testing::CreateKey(*server_, "f1");
  responses.push_back(testing::Register(*server_, key, testing::TestUuid(1)));
  EXPECT_EQ(responses.back().status, 200) << responses.back().body;
  responses.push_back(
      server_->Admin("GET", "/api/v1/devices/" + testing::TestUuid(1) + "/resolution"));
  EXPECT_EQ(responses.back().status, 200) << responses.back().body;

  for (const auto& r : responses) {
    for (const std::string& secret : {password, client_key, extra}) {
      EXPECT_EQ(r.body.find(secret), std::string::npos) << secret << " in " << r.body;
      for (const auto& [name, value] : r.headers) {
        EXPECT_EQ(value.find(secret), std::string::npos) << secret << " in header " << name;
      }
    }
  }
  const std::string log = server_->Log();
  for (const std::string& secret : {password, client_key, extra}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " in the log:\n" << log;
  }
}

// Probes run off the HTTP workers, at most four accepted at once: six tests
// of a broker that accepts and never answers leave /healthz answering
// while they hang, and the two beyond the cap are refused at once.
TEST_P(BrokerProbeApiTest, HangingProbesNeverHoldTheHttpWorkers) {
  FakeMqttBroker silent(-1);
  // 2 s each, so the two that wait their turn still answer within the test
  // client's 5 s read timeout.
  const std::int64_t id = CreateBroker("silent", silent.port(), R"(,"connect_timeout":2000)");
  std::atomic<int> finished_ok{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> tests;
  std::vector<testing::HttpResponse> answers(6);
  for (int i = 0; i < 6; ++i) {
    tests.emplace_back([&, i] {
      try {
        answers[i] = Probe(id);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "test " << i << ": " << e.what();
        ++refused;  // unblocks the wait below; the failure is recorded
        return;
      }
      if (answers[i].status == 200) ++finished_ok;
      if (answers[i].status == 503) ++refused;
    });
  }
  // Once both refusals are in, all six handlers have run.
  while (refused.load() < 2 && finished_ok.load() == 0) std::this_thread::yield();
  for (int i = 0; i < 4; ++i) {
    const auto health = testing::OneShot(server_->port(), "GET", "/healthz");
    EXPECT_EQ(health.status, 200);
  }
  // Every /healthz answered while the four accepted probes still hang.
  EXPECT_EQ(finished_ok.load(), 0);
  for (auto& t : tests) t.join();
  // Two run and two wait; a pool thread slow to take its first job can make
  // one more wait its turn in the queue, and be refused.
  EXPECT_GE(refused.load(), 2);
  EXPECT_GE(finished_ok.load(), 2);
  EXPECT_EQ(finished_ok.load() + refused.load(), 6);
  for (const auto& answer : answers) {
    if (answer.status == 503) {
      ExpectError(answer, 503, "unavailable");
      EXPECT_EQ(answer.Header("Retry-After").value_or(""), "5");
    } else {
      EXPECT_EQ(String(Json(answer), "stage"), "mqtt") << answer.body;
    }
  }
}

// The write-only password cannot be read back by pointing the broker at a
// listener of one's own and testing the connection: moving the broker
// without sending the password again drops it.
TEST_P(BrokerProbeApiTest, MovingTheBrokerDropsThePasswordBeforeAnyProbe) {
  const std::string password = "pw-SECRET-moved-4d1c";
  FakeMqttBroker real(0);
  FakeMqttBroker listener(0);
  const std::int64_t id =
      CreateBroker("moved", real.port(), R"(,"username":"svc","password":")" + password + R"(")");
  const std::string item = "/api/v1/mqtt/brokers/" + std::to_string(id);
  ASSERT_EQ(Probe(id).status, 200);
  EXPECT_NE(real.received().find(password), std::string::npos);  // the probe does send it

  // Unrelated changes, or the same host again, keep it.
  auto kept = server_->Admin("PUT", item, R"({"description":"x","host":"127.0.0.1"})");
  ASSERT_EQ(kept.status, 200) << kept.body;
  EXPECT_TRUE(Json(kept)["has_password"].GetBool());

  auto moved = server_->Admin("PUT", item, R"({"port":)" + std::to_string(listener.port()) + "}");
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_FALSE(Json(moved)["has_password"].GetBool());
  ASSERT_EQ(Probe(id).status, 200);
  EXPECT_EQ(listener.received().find(password), std::string::npos);
  EXPECT_NE(listener.received().find("svc"), std::string::npos);  // the probe did connect

  // Sent again with the move, the password is kept: the operator knows it.
  auto with_password = server_->Admin(
      "PUT", item,
      R"({"port":)" + std::to_string(real.port()) + R"(,"password":")" + password + R"("})");
  ASSERT_EQ(with_password.status, 200) << with_password.body;
  EXPECT_TRUE(Json(with_password)["has_password"].GetBool());

  // Host, protocol, TLS off and verification off each drop it too.
  for (const char* change :
       {R"({"host":"localhost"})", R"({"protocol":"ws"})", R"({"verify_certificate":false})"}) {
    ASSERT_EQ(server_->Admin("PUT", item, R"({"password":")" + password + R"("})").status, 200);
    if (std::string(change).find("verify") != std::string::npos) {
      ASSERT_EQ(server_->Admin("PUT", item, R"({"verify_certificate":true})").status, 200);
      ASSERT_TRUE(Json(server_->Admin("GET", item))["has_password"].GetBool());
    }
    auto r = server_->Admin("PUT", item, change);
    ASSERT_EQ(r.status, 200) << change << ": " << r.body;
    EXPECT_FALSE(Json(r)["has_password"].GetBool()) << change;
  }
}

SWITCHBOARD_BOTH_BACKENDS(BrokerProbeApiTest);

}  // namespace
}  // namespace switchboard
