// POST /api/v1/mqtt/brokers/{id}/test against small fake brokers, and the
// sanitisation rule: a broker's password, client_key and extra_config never
// appear in any response nor in the server's log.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "api_test_support.h"
#include "loopback_listener.h"

namespace switchboard {
namespace {

using testing::ExpectError;
using testing::Int;
using testing::IsNull;
using testing::Json;
using testing::MemberNames;
using testing::String;
using testing::SwitchboardProcess;

// A fake MQTT broker on a LoopbackListener. Each connection: read the
// CONNECT, then answer CONNACK with `connack_code`, or stay silent when it is
// < 0, and keep the connection until the client closes it.
testing::LoopbackListener::Handler AnswerConnack(int connack_code) {
  return [connack_code](int client, const std::atomic<bool>& stopping) {
    char buffer[1024];
    bool answered = false;
    while (!stopping) {
      if (!testing::LoopbackListener::Readable(client, 50)) continue;
      if (::read(client, buffer, sizeof buffer) <= 0) return;  // the client closed
      if (!answered && connack_code >= 0) {
        const unsigned char connack[] = {0x20, 0x02, 0x00,
                                         static_cast<unsigned char>(connack_code)};
        (void)!::write(client, connack, sizeof connack);
        answered = true;
      }
    }
  };
}

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

class BrokerProbeApiTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    server_ = SwitchboardProcess::Start(testing::ServeOptions(url()));
  }
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
  std::unique_ptr<SwitchboardProcess> server_;
};

TEST_P(BrokerProbeApiTest, ReachableBrokerAnswersConnack) {
  testing::LoopbackListener broker(AnswerConnack(0));
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
  testing::LoopbackListener broker(AnswerConnack(5));
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
  testing::LoopbackListener broker(AnswerConnack(-1));
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
  testing::LoopbackListener broker(AnswerConnack(0));
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

SWITCHBOARD_BOTH_BACKENDS(BrokerProbeApiTest);

}  // namespace
}  // namespace switchboard
