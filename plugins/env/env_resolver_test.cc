// plugin/env: a broker URL from an environment variable, with a fallback.
// Needs no storage (FakeContext has none).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "engine_testing.h"

namespace switchboard {
namespace {

using testing::ChainFromYaml;
using testing::FakeContext;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kVariable[] = "SWITCHBOARD_ENV_TEST_URL";

class EnvPluginTest : public ::testing::Test {
 protected:
  void TearDown() override { unsetenv(kVariable); }

  Resolution ResolveWith(const std::optional<std::string>& value,
                         const std::string& extra_params = "") {
    if (value) {
      setenv(kVariable, value->c_str(), 1);
    } else {
      unsetenv(kVariable);
    }
    const auto chain = ChainFromYaml(std::string("    - plugin: env\n      params: {variable: ") +
                                     kVariable + extra_params + "}\n");
    return chain->Resolve(context_);
  }

  FakeContext context_;
};

TEST_F(EnvPluginTest, ParsesEachSchemeIntoAFullConfig) {
  struct Case {
    std::string url, protocol, host, path;
    int port;
    bool tls;
    std::string canonical;  // BrokerUrl() of the result
  };
  const std::vector<Case> cases = {
      {"mqtt://broker.local", "mqtt", "broker.local", "", 1883, false, "mqtt://broker.local:1883"},
      {"mqtts://broker.local", "mqtts", "broker.local", "", 8883, true,
       "mqtts://broker.local:8883"},
      {"ws://broker.local/mqtt", "ws", "broker.local", "/mqtt", 80, false,
       "ws://broker.local:80/mqtt"},
      {"wss://broker.local:8443/mqtt", "wss", "broker.local", "/mqtt", 8443, true,
       "wss://broker.local:8443/mqtt"},
      {"mqtt://[2001:db8::1]:1884", "mqtt", "2001:db8::1", "", 1884, false,
       "mqtt://[2001:db8::1]:1884"},
  };
  for (const auto& c : cases) {
    const Resolution r = ResolveWith(c.url);
    ASSERT_TRUE(r.broker) << c.url << ": " << r.trace.at(0).reason;
    EXPECT_EQ(r.resolved_by, "env");
    EXPECT_EQ(r.reason, std::string("from $") + kVariable);
    EXPECT_EQ(r.broker->protocol, c.protocol) << c.url;
    EXPECT_EQ(r.broker->host, c.host) << c.url;
    EXPECT_EQ(r.broker->port, c.port) << c.url;
    EXPECT_EQ(r.broker->path, c.path) << c.url;
    EXPECT_EQ(r.broker->use_tls, c.tls) << c.url;
    EXPECT_FALSE(r.broker->from_storage);  // brokerConfig stays absent
    EXPECT_EQ(BrokerUrl(*r.broker), c.canonical);
  }
}

TEST_F(EnvPluginTest, UnsetOrEmptyWithoutFallbackPasses) {
  for (const auto& value : {std::optional<std::string>(), std::optional<std::string>("")}) {
    const Resolution r = ResolveWith(value);
    EXPECT_FALSE(r.broker);
    EXPECT_EQ(r.trace.at(0).outcome, TraceStep::Outcome::kPass);
    EXPECT_EQ(r.trace[0].reason,
              std::string("$") + kVariable + " is unset or empty and no fallback is configured");
  }
}

TEST_F(EnvPluginTest, FallbackAppliesWhenUnset) {
  const Resolution r = ResolveWith(std::nullopt, ", fallback: \"mqtts://fb.example:9883\"");
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.broker->host, "fb.example");
  EXPECT_EQ(r.broker->port, 9883);
  EXPECT_EQ(r.reason, std::string("$") + kVariable + " unset: fallback URL");
  // The variable wins when set.
  const Resolution set = ResolveWith("mqtt://env.example", ", fallback: \"mqtts://fb.example\"");
  ASSERT_TRUE(set.broker);
  EXPECT_EQ(set.broker->host, "env.example");
}

TEST_F(EnvPluginTest, MalformedUrlPassesWithAReasonAndNeverLeaksIt) {
  const Resolution r = ResolveWith("http://user:s3cret@host", ", fallback: \"mqtt://fb.example\"");
  EXPECT_FALSE(r.broker);  // a malformed variable is an operator error: no silent fallback
  ASSERT_EQ(r.trace.size(), 1u);
  EXPECT_EQ(r.trace[0].outcome, TraceStep::Outcome::kPass);
  EXPECT_THAT(r.trace[0].reason, HasSubstr("is malformed: invalid broker URL"));
  EXPECT_THAT(r.trace[0].reason, Not(HasSubstr("s3cret")));
  for (const auto& line : context_.log_.lines()) EXPECT_THAT(line, Not(HasSubstr("s3cret")));
  ASSERT_FALSE(context_.log_.lines().empty());
  EXPECT_THAT(context_.log_.lines()[0], HasSubstr("WARN plugin/env: $"));

  for (const char* bad : {"mqtt://", "mqtt://host:99999", "mqtt://host/path", "nonsense",
                          "mqtt://2001:db8::1:1883"}) {
    const Resolution each = ResolveWith(bad);
    EXPECT_FALSE(each.broker) << bad;
    EXPECT_EQ(each.trace.at(0).outcome, TraceStep::Outcome::kPass) << bad;
  }
}

TEST_F(EnvPluginTest, CredentialsInTheUrlStayServerSide) {
  const Resolution r = ResolveWith("mqtts://svc:pa%40ss@broker.example");
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.broker->username, "svc");
  EXPECT_EQ(r.broker->password, "pa@ss");
  EXPECT_THAT(BrokerUrl(*r.broker), Not(HasSubstr("pa@ss")));
  EXPECT_THAT(r.reason, Not(HasSubstr("pa")));
}

TEST_F(EnvPluginTest, DefaultVariableIsMqttBrokerUrl) {
  setenv("MQTT_BROKER_URL", "mqtt://default-var.example", 1);
  const auto chain = ChainFromYaml("    - plugin: env\n");
  const Resolution r = chain->Resolve(context_);
  unsetenv("MQTT_BROKER_URL");
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.broker->host, "default-var.example");
  EXPECT_EQ(r.reason, "from $MQTT_BROKER_URL");
}

TEST_F(EnvPluginTest, ParamsAreValidatedAtCreation) {
  const std::string error = testing::ChainError(
      "    - plugin: env\n"
      "      params:\n"
      "        variable: \"1-BAD\"\n"          // line 6
      "        fallback: \"mqtt://host:0\"\n"  // line 7
      "        fallbak: x\n");                 // line 8
  EXPECT_THAT(error, HasSubstr("test.yaml:6:9: plugin/env: 'variable': must be an environment "
                               "variable name"));
  EXPECT_THAT(error, HasSubstr("test.yaml:7:9: plugin/env: 'fallback': invalid broker URL: port "
                               "out of range"));
  EXPECT_THAT(error, HasSubstr("test.yaml:8:9: plugin/env: unknown key 'fallbak' (did you mean "
                               "'fallback'?)"));
}

}  // namespace
}  // namespace switchboard
