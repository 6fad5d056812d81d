#include "domain/client_broker_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <utility>
#include <vector>

namespace switchboard {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

const char kCaPem[] =
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\"quoted\"\\back\n"
    "\t\x01tail\n-----END CERTIFICATE-----\n";
const char kClientPem[] = "-----BEGIN CERTIFICATE-----\nCLIENTCERT\n-----END CERTIFICATE-----\n";

// The `brokerConfig` object as a compact JSON string (of a BrokerConfig or
// of a ClientBrokerConfig).
template <typename Broker>
std::string ClientBrokerConfigJson(const Broker& broker) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  WriteClientBrokerConfig(writer, broker);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// A broker with every field set, secrets to values that are easy to spot.
BrokerConfig FullBroker() {
  BrokerConfig b;
  b.id = 424242;
  b.name = "name-SECRET-NAME";
  b.description = "desc-SECRET-DESCRIPTION";
  b.protocol = "wss";
  b.host = "mqtt.example.com";
  b.port = 8443;
  b.path = "/mqtt";
  b.username = "user-SECRET-USERNAME";
  b.password = "pass-SECRET-PASSWORD";
  b.use_tls = true;
  b.ca_cert = kCaPem;
  b.client_cert = kClientPem;
  b.client_key = "-----BEGIN PRIVATE KEY-----\nSECRET-CLIENT-KEY\n-----END PRIVATE KEY-----\n";
  b.verify_certificate = false;
  b.client_id_prefix = "acme-";
  b.keep_alive = 45;
  b.clean_session = false;
  b.reconnect_period = 2500;
  b.connect_timeout = 12000;
  b.is_active = true;
  b.is_default = true;
  b.broker_type = "cloud-SECRET-TYPE";
  b.region = "region-SECRET-REGION";
  b.weight = 31337;
  b.extra_config = R"({"token":"SECRET-EXTRA-CONFIG"})";
  b.from_storage = true;
  return b;
}

rapidjson::Document Parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(json.c_str(), json.size());
  EXPECT_FALSE(doc.HasParseError()) << json;
  EXPECT_TRUE(doc.IsObject()) << json;
  return doc;
}

std::vector<std::string> Keys(const rapidjson::Value& object) {
  std::vector<std::string> keys;
  for (const auto& m : object.GetObject()) keys.emplace_back(m.name.GetString());
  return keys;
}

TEST(ClientBrokerConfigTest, HasExactlyTheSpecFields) {
  std::string json = ClientBrokerConfigJson(FullBroker());
  rapidjson::Document doc = Parse(json);
  EXPECT_THAT(Keys(doc),
              ElementsAreArray({"protocol", "host", "port", "path", "useTls", "verifyCertificate",
                                "clientIdPrefix", "keepAlive", "cleanSession", "reconnectPeriod",
                                "connectTimeout", "caCert", "clientCert"}));
  EXPECT_STREQ(doc["protocol"].GetString(), "wss");
  EXPECT_STREQ(doc["host"].GetString(), "mqtt.example.com");
  EXPECT_EQ(doc["port"].GetInt(), 8443);
  EXPECT_STREQ(doc["path"].GetString(), "/mqtt");
  EXPECT_TRUE(doc["useTls"].GetBool());
  EXPECT_FALSE(doc["verifyCertificate"].GetBool());
  EXPECT_STREQ(doc["clientIdPrefix"].GetString(), "acme-");
  EXPECT_EQ(doc["keepAlive"].GetInt(), 45);
  EXPECT_FALSE(doc["cleanSession"].GetBool());
  EXPECT_EQ(doc["reconnectPeriod"].GetInt(), 2500);
  EXPECT_EQ(doc["connectTimeout"].GetInt(), 12000);
}

TEST(ClientBrokerConfigTest, NoSecretOrServerSideFieldAppearsAnywhere) {
  std::string json = ClientBrokerConfigJson(FullBroker());
  for (const char* needle : {"SECRET", "424242", "31337", "username", "password", "clientKey",
                             "client_key", "extra", "region", "PRIVATE KEY", "isDefault"}) {
    EXPECT_EQ(json.find(needle), std::string::npos) << needle << " in " << json;
  }
}

TEST(ClientBrokerConfigTest, PemNewlinesAndControlCharactersRoundTrip) {
  std::string json = ClientBrokerConfigJson(FullBroker());
  EXPECT_EQ(json.find('\n'), std::string::npos);  // escaped, not raw
  rapidjson::Document doc = Parse(json);
  EXPECT_EQ(std::string(doc["caCert"].GetString(), doc["caCert"].GetStringLength()), kCaPem);
  EXPECT_STREQ(doc["clientCert"].GetString(), kClientPem);
}

TEST(ClientBrokerConfigTest, OptionalFieldsAreOmittedWhenUnset) {
  BrokerConfig b;  // defaults: mqtt, no certs, no prefix
  b.host = "h";
  b.path = "/ignored-on-mqtt";
  rapidjson::Document doc = Parse(ClientBrokerConfigJson(b));
  EXPECT_THAT(Keys(doc), ElementsAre("protocol", "host", "port", "useTls", "verifyCertificate",
                                     "clientIdPrefix", "keepAlive", "cleanSession",
                                     "reconnectPeriod", "connectTimeout"));
  EXPECT_STREQ(doc["clientIdPrefix"].GetString(), "");
  EXPECT_EQ(doc["port"].GetInt(), 1883);

  b.protocol = "ws";
  b.path = "";
  EXPECT_FALSE(Parse(ClientBrokerConfigJson(b)).HasMember("path"));
  b.path = "mqtt";
  EXPECT_STREQ(Parse(ClientBrokerConfigJson(b))["path"].GetString(), "/mqtt");
}

TEST(ClientBrokerConfigTest, EmbedsInALargerDocumentWithAnyWriter) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("broker");
  writer.String("wss://mqtt.example.com:8443/mqtt");
  writer.Key("brokerConfig");
  WriteClientBrokerConfig(writer, FullBroker());
  writer.EndObject();
  ASSERT_TRUE(writer.IsComplete());
  std::string json(buffer.GetString(), buffer.GetSize());
  rapidjson::Document doc = Parse(json);
  ASSERT_TRUE(doc["brokerConfig"].IsObject());
  EXPECT_EQ(doc["brokerConfig"].MemberCount(), 13u);
  EXPECT_EQ(json.find("SECRET"), std::string::npos);
}

TEST(ClientBrokerConfigTest, ProjectionCopiesOnlyTheWhitelist) {
  ClientBrokerConfig c = ToClientBrokerConfig(FullBroker());
  EXPECT_EQ(c.host, "mqtt.example.com");
  EXPECT_EQ(c.ca_cert, kCaPem);
  BrokerConfig upper;
  upper.protocol = "MQTTS";
  EXPECT_EQ(ToClientBrokerConfig(upper).protocol, "mqtts");
}

// The config fetch moves each endpoint into its view (provisioning.cc): the
// moving overload must hand out exactly what the copying one does, and
// leave the secrets where they were.
TEST(ClientBrokerConfigTest, MovingProjectionEqualsCopyingProjection) {
  BrokerConfig source = FullBroker();
  source.protocol = "WSS";
  source.path = "mqtt";  // written with its leading '/'
  const ClientBrokerConfig copied = ToClientBrokerConfig(source);
  const ClientBrokerConfig moved = ToClientBrokerConfig(std::move(source));
  EXPECT_EQ(moved.protocol, "wss");
  EXPECT_EQ(moved.path, "/mqtt");
  EXPECT_EQ(ClientBrokerConfigJson(moved), ClientBrokerConfigJson(copied));
  EXPECT_EQ(moved.ca_cert, kCaPem);
  EXPECT_EQ(moved.client_cert, kClientPem);
  // NOLINTNEXTLINE(bugprone-use-after-move): only the whitelist was moved
  EXPECT_EQ(source.password, "pass-SECRET-PASSWORD");
  EXPECT_EQ(source.client_key, FullBroker().client_key);
}

}  // namespace
}  // namespace switchboard
