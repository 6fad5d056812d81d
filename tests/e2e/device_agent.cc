#include "device_agent.h"

#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "switchboard/broker.h"
#include "test_database.h"

namespace switchboard::testing {

const rapidjson::Value* JsonMember(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  const auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string JsonString(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* value = JsonMember(object, name);
  return value != nullptr && value->IsString() ? value->GetString() : "";
}

std::optional<std::int64_t> JsonInt(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* value = JsonMember(object, name);
  if (value == nullptr || !value->IsInt64()) return std::nullopt;
  return value->GetInt64();
}

std::optional<bool> JsonBool(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* value = JsonMember(object, name);
  if (value == nullptr || !value->IsBool()) return std::nullopt;
  return value->GetBool();
}

std::vector<std::string> JsonStrings(const rapidjson::Value& object, const char* name) {
  std::vector<std::string> out;
  const rapidjson::Value* value = JsonMember(object, name);
  if (value == nullptr || !value->IsArray()) return out;
  for (const auto& item : value->GetArray()) {
    if (item.IsString()) out.push_back(item.GetString());
  }
  return out;
}

rapidjson::Document ParseJsonObject(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.c_str(), text.size());
  if (document.HasParseError() || !document.IsObject()) document.SetObject();
  return document;
}

JsonBody::JsonBody() { document_.SetObject(); }

JsonBody& JsonBody::Add(const char* key, const std::string& value) {
  return Set(key, rapidjson::Value(value.c_str(), static_cast<rapidjson::SizeType>(value.size()),
                                   document_.GetAllocator()));
}

JsonBody& JsonBody::Add(const char* key, std::int64_t value) {
  return Set(key, rapidjson::Value(value));
}

JsonBody& JsonBody::Add(const char* key, bool value) { return Set(key, rapidjson::Value(value)); }

std::string JsonBody::Take() const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  document_.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

JsonBody& JsonBody::Set(const char* key, rapidjson::Value value) {
  document_.AddMember(rapidjson::Value(key, document_.GetAllocator()), value,
                      document_.GetAllocator());
  return *this;
}

MqttAccess ReadMqttAccess(const rapidjson::Value& mqtt) {
  MqttAccess access;
  access.username = JsonString(mqtt, "username");
  access.password = JsonString(mqtt, "password");
  access.broker = JsonString(mqtt, "broker");
  if (const rapidjson::Value* config = JsonMember(mqtt, "brokerConfig")) {
    access.has_broker_config = config->IsObject();
    access.protocol = JsonString(*config, "protocol");
    access.host = JsonString(*config, "host");
    access.port = JsonInt(*config, "port").value_or(0);
    access.use_tls = JsonBool(*config, "useTls").value_or(false);
    access.verify_certificate = JsonBool(*config, "verifyCertificate").value_or(false);
    access.keep_alive = JsonInt(*config, "keepAlive").value_or(0);
    access.ca_cert = JsonString(*config, "caCert");
  }
  if (const rapidjson::Value* topics = JsonMember(mqtt, "topics")) {
    access.publish = JsonStrings(*topics, "publish");
    access.subscribe = JsonStrings(*topics, "subscribe");
  }
  return access;
}

std::string TopicUnder(const std::string& filter, const std::string& leaf) {
  if (filter.size() >= 2 && filter.compare(filter.size() - 2, 2, "/#") == 0) {
    return filter.substr(0, filter.size() - 1) + leaf;
  }
  return filter;
}

MqttConnectOptions ConnectOptionsFrom(const MqttAccess& access, const std::string& password,
                                      const std::string& ca_path) {
  MqttConnectOptions options;
  std::string error;
  const std::optional<BrokerConfig> url = ParseBrokerUrl(access.broker, &error);
  if (!url) {
    ADD_FAILURE() << "unusable broker URL '" << access.broker << "': " << error;
    return options;
  }
  options.host = url->host;
  options.port = url->port;
  bool tls = url->use_tls;
  if (access.has_broker_config) {
    EXPECT_EQ(access.host, url->host) << "brokerConfig.host vs " << access.broker;
    EXPECT_EQ(access.port, url->port) << "brokerConfig.port vs " << access.broker;
    EXPECT_EQ(access.protocol, url->protocol) << access.broker;
    EXPECT_EQ(access.use_tls, url->use_tls) << access.broker;
    options.host = access.host;
    options.port = static_cast<int>(access.port);
    tls = access.use_tls;
    EXPECT_GT(access.keep_alive, 0);
    options.keepalive = static_cast<int>(access.keep_alive);
  }
  if (tls) {
    EXPECT_TRUE(access.verify_certificate) << "the device must verify the broker";
    EXPECT_NE(access.ca_cert.find("-----BEGIN CERTIFICATE-----"), std::string::npos)
        << "no caCert in the response";
    WriteFile(ca_path, access.ca_cert);
    options.ca_file = ca_path;  // MqttTestClient: chain and host name verified
  }
  options.username = access.username;
  options.password = password;
  return options;
}

}  // namespace switchboard::testing
