// The explain document, the X-Switchboard-Resolver header, the chain JSON.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "api/explain_json.h"

namespace switchboard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

rapidjson::Document Parse(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str());
  EXPECT_FALSE(d.HasParseError()) << json;
  return d;
}

BrokerConfig StoredBrokerWithEverySecret() {
  BrokerConfig b;
  b.id = 7;
  b.name = "eu-1";
  b.protocol = "mqtts";
  b.host = "eu.example.com";
  b.port = 8883;
  b.use_tls = true;
  b.username = "svc-user";
  b.password = "broker-password";
  b.client_key = "-----BEGIN PRIVATE KEY-----";
  b.extra_config = "{\"secret\":1}";
  b.ca_cert = "-----BEGIN CERTIFICATE-----";
  b.from_storage = true;
  return b;
}

Resolution Resolved(BrokerConfig broker) {
  Resolution r;
  r.broker = std::move(broker);
  r.resolved_by = "device";
  r.reason = "assigned broker 'eu-1' (id 7)";
  r.trace = {{"device", TraceStep::Outcome::kResolved, "assigned broker 'eu-1' (id 7)", 12}};
  return r;
}

TEST(ExplainJsonTest, ResolvedFromStorageHasBrokerConfigAndNoSecret) {
  const std::string json = ExplainJson(Resolved(StoredBrokerWithEverySecret()));
  const auto d = Parse(json);
  EXPECT_STREQ(d["broker"].GetString(), "mqtts://eu.example.com:8883");
  ASSERT_TRUE(d["brokerConfig"].IsObject());
  EXPECT_STREQ(d["brokerConfig"]["host"].GetString(), "eu.example.com");
  EXPECT_STREQ(d["brokerConfig"]["caCert"].GetString(), "-----BEGIN CERTIFICATE-----");
  EXPECT_STREQ(d["resolvedBy"].GetString(), "device");
  EXPECT_STREQ(d["decision"].GetString(), "resolved");
  ASSERT_EQ(d["trace"].Size(), 1u);
  EXPECT_STREQ(d["trace"][0]["plugin"].GetString(), "device");
  EXPECT_STREQ(d["trace"][0]["outcome"].GetString(), "resolved");
  EXPECT_EQ(d["trace"][0]["micros"].GetInt64(), 12);
  for (const char* secret : {"svc-user", "broker-password", "PRIVATE KEY", "secret", "\"id\""}) {
    EXPECT_THAT(json, Not(HasSubstr(secret)));
  }
}

TEST(ExplainJsonTest, EnvBrokerHasNoBrokerConfig) {
  BrokerConfig env;
  env.host = "env.example";
  env.port = 1883;
  env.password = "in-url-password";
  const std::string json = ExplainJson(Resolved(env), false);
  const auto d = Parse(json);
  EXPECT_STREQ(d["broker"].GetString(), "mqtt://env.example:1883");
  EXPECT_FALSE(d.HasMember("brokerConfig"));
  EXPECT_FALSE(d.HasMember("trace"));  // include_trace = false
  EXPECT_THAT(json, Not(HasSubstr("in-url-password")));
}

TEST(ExplainJsonTest, NoBrokerHasNulls) {
  Resolution r;
  r.reason = "no broker: no step of the chain resolved this device";
  r.trace = {{"device", TraceStep::Outcome::kPass, "device has no broker assigned", 3},
             {"env", TraceStep::Outcome::kError, "plugin/env: boom", 1}};
  const auto d = Parse(ExplainJson(r));
  EXPECT_TRUE(d["broker"].IsNull());
  EXPECT_TRUE(d["resolvedBy"].IsNull());
  EXPECT_FALSE(d.HasMember("brokerConfig"));
  EXPECT_STREQ(d["decision"].GetString(), "no_broker");
  EXPECT_STREQ(d["trace"][1]["outcome"].GetString(), "error");
  r.rejected = true;
  EXPECT_STREQ(Parse(ExplainJson(r))["decision"].GetString(), "rejected");
  r.rejected = false;
  r.failed = true;
  EXPECT_STREQ(Parse(ExplainJson(r))["decision"].GetString(), "failed");
}

TEST(ExplainJsonTest, InvalidUtf8InAPluginReasonIsRepaired) {
  Resolution r;
  r.trace = {{"odd", TraceStep::Outcome::kPass, "bad \xff\xfe bytes \"quoted\"\n", 1}};
  const std::string json = ExplainJson(r);
  rapidjson::Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(json.c_str());
  ASSERT_FALSE(d.HasParseError()) << json;
  EXPECT_STREQ(d["trace"][0]["reason"].GetString(),
               "bad \xef\xbf\xbd\xef\xbf\xbd bytes \"quoted\"\n");
}

TEST(ExplainJsonTest, ResolverHeaderSummarisesTheTrace) {
  Resolution r = Resolved(StoredBrokerWithEverySecret());
  r.resolved_by = "default";
  r.trace = {{"device", TraceStep::Outcome::kPass, "", 1},
             {"fleet", TraceStep::Outcome::kError, "", 1},
             {"default", TraceStep::Outcome::kResolved, "", 1}};
  EXPECT_EQ(ResolverHeader(r),
            "resolved-by=default; trace=device:pass,fleet:error,default:resolved");
  Resolution none;
  none.trace = {{"we ird;,\n", TraceStep::Outcome::kReject, "", 1}};
  none.rejected = true;
  EXPECT_EQ(ResolverHeader(none), "resolved-by=none; trace=we_ird___:reject");
}

TEST(ExplainJsonTest, ChainJsonListsSteps) {
  const auto d = Parse(
      ChainJson({{"device", "/p/libdevice.so", "continue"}, {"env", "/p/libenv.so", "fail"}}));
  ASSERT_EQ(d["chain"].Size(), 2u);
  EXPECT_EQ(d["chain"][0]["position"].GetInt(), 1);
  EXPECT_STREQ(d["chain"][0]["plugin"].GetString(), "device");
  EXPECT_STREQ(d["chain"][1]["file"].GetString(), "/p/libenv.so");
  EXPECT_STREQ(d["chain"][1]["on_error"].GetString(), "fail");
}

}  // namespace
}  // namespace switchboard
