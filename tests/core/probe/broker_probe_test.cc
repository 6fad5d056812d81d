// The broker probe (core/src/probe/broker_probe.h) against a real Mosquitto with a
// plain and a TLS listener, and against servers that misbehave.
#include "probe/broker_probe.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <atomic>
#include <memory>
#include <thread>

#include "loopback_listener.h"
#include "missing_tool.h"
#include "mosquitto_fixture.h"
#include "process.h"
#include "test_database.h"

namespace switchboard {
namespace {

using std::chrono::milliseconds;

constexpr char kProbeUser[] = "probe-user";
constexpr char kProbePassword[] = "probe-Secret-9f3a1c77";

class BrokerProbeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::MosquittoAvailable()) return;
    try {
      dir_ = new testing::TempDir();
      pki_ = new testing::TestPki(testing::TestPki::Generate(dir_->path() + "/pki"));
      const std::string passwords = dir_->path() + "/passwd";
      const auto made =
          testing::RunCommand("mosquitto_passwd -c -b " + testing::ShellQuote(passwords) + " " +
                              kProbeUser + " " + kProbePassword);
      if (made.exit_code != 0) throw std::runtime_error("mosquitto_passwd: " + made.output);
      broker_ = new testing::MosquittoBroker(*pki_, passwords, dir_->path() + "/acl");
      broker_->Start();
    } catch (const std::exception& e) {
      *setup_error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    delete broker_;  // stops and reaps mosquitto
    delete pki_;
    delete dir_;
    broker_ = nullptr;
    pki_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!setup_error_->empty()) FAIL() << *setup_error_;
    if (broker_ == nullptr) SWITCHBOARD_MISSING_TOOL("mosquitto is not installed (scripts/setup)");
  }

  static BrokerConfig Tls(const std::string& host = "localhost") {
    BrokerConfig broker;
    broker.protocol = "mqtts";
    broker.use_tls = true;
    broker.host = host;
    broker.port = broker_->tls_port();
    broker.ca_cert = testing::ReadFile(pki_->ca_cert);
    broker.username = kProbeUser;
    broker.password = kProbePassword;
    broker.client_id_prefix = "switchboard-";
    return broker;
  }
  static BrokerConfig Plain(int port) {
    BrokerConfig broker;
    broker.host = "127.0.0.1";
    broker.port = port;
    broker.username = kProbeUser;
    broker.password = kProbePassword;
    return broker;
  }

  // Every failure names its stage and never leaks the password.
  static void ExpectFailedAt(const ProbeResult& result, ProbeStage stage) {
    EXPECT_FALSE(result.reachable);
    EXPECT_EQ(ProbeStageName(result.stage), std::string(ProbeStageName(stage))) << result.error;
    EXPECT_EQ(result.error.rfind(std::string(ProbeStageName(stage)) + ": ", 0), 0u) << result.error;
    EXPECT_EQ(result.error.find(kProbePassword), std::string::npos) << result.error;
    EXPECT_EQ(result.error.find(kProbeUser), std::string::npos) << result.error;
  }

  static testing::TempDir* dir_;
  static testing::TestPki* pki_;
  static testing::MosquittoBroker* broker_;
  static std::string* setup_error_;
};

testing::TempDir* BrokerProbeTest::dir_ = nullptr;
testing::TestPki* BrokerProbeTest::pki_ = nullptr;
testing::MosquittoBroker* BrokerProbeTest::broker_ = nullptr;
std::string* BrokerProbeTest::setup_error_ = new std::string();  // never freed: trivially safe

TEST_F(BrokerProbeTest, TlsListenerVerifiedWithTheTestCaIsReachable) {
  const ProbeResult result = ProbeBroker(Tls("localhost"), milliseconds(5000));
  EXPECT_TRUE(result.reachable) << result.error;
  EXPECT_EQ(result.stage, ProbeStage::kMqtt);
  EXPECT_EQ(result.connack_code, 0);
  EXPECT_EQ(result.error, "");
  EXPECT_GT(result.latency_ms, 0.0);
  EXPECT_EQ(result.address, "127.0.0.1:" + std::to_string(broker_->tls_port()));
}

TEST_F(BrokerProbeTest, TlsByIpAddressIsCheckedAgainstTheIpSubjectAltName) {
  const ProbeResult result = ProbeBroker(Tls("127.0.0.1"), milliseconds(5000));
  EXPECT_TRUE(result.reachable) << result.error;
  EXPECT_EQ(result.connack_code, 0);
}

TEST_F(BrokerProbeTest, UnrelatedCaFailsTheTlsStage) {
  BrokerConfig broker = Tls();
  broker.ca_cert = testing::ReadFile(pki_->other_ca_cert);
  const ProbeResult result = ProbeBroker(broker, milliseconds(5000));
  ExpectFailedAt(result, ProbeStage::kTls);
  EXPECT_NE(result.error.find("certificate verification failed"), std::string::npos)
      << result.error;
  EXPECT_FALSE(result.connack_code.has_value());
}

TEST_F(BrokerProbeTest, EmptyCaCertUsesTheSystemStoreWhichDoesNotKnowTheTestCa) {
  BrokerConfig broker = Tls();
  broker.ca_cert.clear();
  ExpectFailedAt(ProbeBroker(broker, milliseconds(5000)), ProbeStage::kTls);
}

// The system store is read once and shared by every probe's context: probes
// on many threads, each dropping its context, leave it usable for the next.
TEST_F(BrokerProbeTest, TheSharedSystemStoreServesConcurrentProbesAndOutlivesThem) {
  BrokerConfig broker = Tls();
  broker.ca_cert.clear();
  for (int round = 0; round < 2; ++round) {
    std::vector<std::thread> threads;
    std::atomic<int> refused_by_verification{0};
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&] {
        const ProbeResult result = ProbeBroker(broker, milliseconds(5000));
        if (result.stage == ProbeStage::kTls &&
            result.error.find("certificate verification failed") != std::string::npos) {
          ++refused_by_verification;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(refused_by_verification.load(), 8) << "round " << round;
  }
}

TEST_F(BrokerProbeTest, VerificationOffAcceptsAnyCertificate) {
  BrokerConfig broker = Tls();
  broker.ca_cert = testing::ReadFile(pki_->other_ca_cert);
  broker.verify_certificate = false;
  const ProbeResult result = ProbeBroker(broker, milliseconds(5000));
  EXPECT_TRUE(result.reachable) << result.error;
}

TEST_F(BrokerProbeTest, MalformedCaCertFailsTheTlsStageBeforeConnecting) {
  BrokerConfig broker = Tls();
  broker.ca_cert = "not a certificate";
  const ProbeResult result = ProbeBroker(broker, milliseconds(5000));
  ExpectFailedAt(result, ProbeStage::kTls);
  EXPECT_NE(result.error.find("ca_cert holds no valid PEM certificate"), std::string::npos);
  EXPECT_EQ(result.address, "");
}

TEST_F(BrokerProbeTest, TlsToThePlainListenerFailsTheTlsStage) {
  BrokerConfig broker = Tls();
  broker.port = broker_->plain_port();
  ExpectFailedAt(ProbeBroker(broker, milliseconds(3000)), ProbeStage::kTls);
}

TEST_F(BrokerProbeTest, ClosedPortFailsTheTcpStage) {
  BrokerConfig broker = Tls();
  broker.port = testing::FreeLoopbackPort();  // nobody listens there
  const ProbeResult result = ProbeBroker(broker, milliseconds(3000));
  ExpectFailedAt(result, ProbeStage::kTcp);
  EXPECT_NE(result.error.find("Connection refused"), std::string::npos) << result.error;
}

TEST_F(BrokerProbeTest, PlainListenerWithRightCredentialsIsReachable) {
  const ProbeResult result = ProbeBroker(Plain(broker_->plain_port()), milliseconds(3000));
  EXPECT_TRUE(result.reachable) << result.error;
  EXPECT_EQ(result.connack_code, 0);
}

// Mosquitto 2.0.11 answers a wrong password in MQTT 3.1.1 with CONNACK 5
// ("not authorized"), not 4 ("bad user name or password").
TEST_F(BrokerProbeTest, WrongPasswordIsRefusedAtTheMqttStage) {
  BrokerConfig broker = Plain(broker_->plain_port());
  broker.password = "wrong-password-123";
  const ProbeResult result = ProbeBroker(broker, milliseconds(3000));
  ExpectFailedAt(result, ProbeStage::kMqtt);
  EXPECT_EQ(result.connack_code, 5);
  EXPECT_EQ(result.error, "mqtt: broker refused the connection: not authorized (CONNACK 5)");
  EXPECT_EQ(result.error.find("wrong-password-123"), std::string::npos);
}

TEST_F(BrokerProbeTest, NoCredentialsAreRefusedByABrokerWithoutAnonymousAccess) {
  BrokerConfig broker = Plain(broker_->plain_port());
  broker.username.clear();
  broker.password.clear();
  const ProbeResult result = ProbeBroker(broker, milliseconds(3000));
  ExpectFailedAt(result, ProbeStage::kMqtt);
  EXPECT_EQ(result.connack_code, 5);
}

TEST_F(BrokerProbeTest, SilentServerTimesOutAtTheMqttStageWithinTheBound) {
  // The bound itself: the probe says it gave up at 400 ms, and a probe that
  // ignored it would hang until ctest's timeout.
  testing::LoopbackListener silent;
  const ProbeResult result = ProbeBroker(Plain(silent.port()), milliseconds(400));
  ExpectFailedAt(result, ProbeStage::kMqtt);
  EXPECT_NE(result.error.find("no CONNACK within 400 ms"), std::string::npos) << result.error;
}

TEST_F(BrokerProbeTest, SilentServerTimesOutAtTheTlsStageWhenTlsIsOn) {
  testing::LoopbackListener silent;
  BrokerConfig broker = Tls("127.0.0.1");
  broker.port = silent.port();
  const ProbeResult result = ProbeBroker(broker, milliseconds(400));
  ExpectFailedAt(result, ProbeStage::kTls);
  EXPECT_NE(result.error.find("timed out"), std::string::npos) << result.error;
}

TEST_F(BrokerProbeTest, ServerSpeakingAnotherProtocolIsNamedAtTheMqttStage) {
  testing::LoopbackListener http(
      testing::LoopbackListener::Reply("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"));
  const ProbeResult result = ProbeBroker(Plain(http.port()), milliseconds(3000));
  ExpectFailedAt(result, ProbeStage::kMqtt);
  EXPECT_NE(result.error.find("not an MQTT 3.1.1 broker"), std::string::npos) << result.error;
  EXPECT_FALSE(result.connack_code.has_value());
}

TEST_F(BrokerProbeTest, UnresolvableHostFailsTheDnsStageWithinTheBound) {
  BrokerConfig broker = Plain(1883);
  broker.host = "no-such-host.invalid";
  const ProbeResult result = ProbeBroker(broker, milliseconds(2000));
  ExpectFailedAt(result, ProbeStage::kDns);
}

TEST_F(BrokerProbeTest, WebSocketBrokersAreNotProbed) {
  BrokerConfig broker = Plain(broker_->plain_port());
  broker.protocol = "wss";
  broker.path = "/mqtt";
  const ProbeResult result = ProbeBroker(broker, milliseconds(1000));
  ExpectFailedAt(result, ProbeStage::kProtocol);
  EXPECT_NE(result.error.find("websocket probe not supported"), std::string::npos);
}

TEST_F(BrokerProbeTest, ConcurrentProbesAreIndependent) {
  std::vector<std::thread> threads;
  std::atomic<int> reachable{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (ProbeBroker(Tls(), milliseconds(5000)).reachable) ++reachable;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(reachable.load(), 8);
}

}  // namespace
}  // namespace switchboard
