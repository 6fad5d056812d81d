// What a device agent does with Switchboard's answers, for the end-to-end
// tests: read the `mqtt` object of `POST /api/v1/device/register` or
// `GET /api/v1/device/{uuid}/mqtt` (docs/api.md) the way an agent would, and
// turn it into libmosquitto connection settings using nothing else.
// Plus the small JSON layer those tests need: type-checked reads (a wrong
// type is a test failure, never RAPIDJSON_ASSERT) and request bodies.
//
// Plain functions and values; the JsonBody builder is not thread-safe.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mqtt_test_client.h"

namespace switchboard::testing {

// --- JSON reads: nullptr / "" / nullopt / {} when absent or of another type.
const rapidjson::Value* JsonMember(const rapidjson::Value& object, const char* name);
// The result points into `object`: not into a temporary document, which
// would be gone by the next statement (AddressSanitizer found two).
const rapidjson::Value* JsonMember(rapidjson::Document&& object, const char* name) = delete;
std::string JsonString(const rapidjson::Value& object, const char* name);
std::optional<std::int64_t> JsonInt(const rapidjson::Value& object, const char* name);
std::optional<bool> JsonBool(const rapidjson::Value& object, const char* name);
std::vector<std::string> JsonStrings(const rapidjson::Value& object, const char* name);
// `text` parsed; an empty object when it is not a JSON object.
rapidjson::Document ParseJsonObject(const std::string& text);

// A JSON object body, serialised by RapidJSON (so PEM newlines are escaped).
//   JsonBody().Add("name", "tls").Add("port", 8883).Add("use_tls", true).Take()
class JsonBody {
 public:
  JsonBody();
  JsonBody& Add(const char* key, const std::string& value);
  JsonBody& Add(const char* key, const char* value) { return Add(key, std::string(value)); }
  JsonBody& Add(const char* key, std::int64_t value);
  JsonBody& Add(const char* key, int value) { return Add(key, std::int64_t{value}); }
  JsonBody& Add(const char* key, bool value);
  std::string Take() const;

 private:
  JsonBody& Set(const char* key, rapidjson::Value value);
  rapidjson::Document document_;
};

// The `mqtt` object of a device response, as an agent reads it. Fields the
// response lacks stay empty / zero / false.
struct MqttAccess {
  std::string username;
  std::string password;  // only in the registration response
  std::string broker;    // URL, e.g. "mqtts://localhost:8883"
  bool has_broker_config = false;
  // From brokerConfig:
  std::string protocol;
  std::string host;
  std::int64_t port = 0;
  bool use_tls = false;
  bool verify_certificate = false;
  std::int64_t keep_alive = 0;
  std::string ca_cert;  // PEM
  // From topics:
  std::vector<std::string> publish;
  std::vector<std::string> subscribe;
};

MqttAccess ReadMqttAccess(const rapidjson::Value& mqtt);

// A concrete topic under a granted filter: ("iot/device/u/#", "t") ->
// "iot/device/u/t"; a filter without a trailing "/#" is returned as is.
std::string TopicUnder(const std::string& filter, const std::string& leaf);

// Connection settings built from `access` alone (and the password the agent
// kept from registration). The broker URL must parse, and agree with
// brokerConfig when that is present (brokerConfig then gives host, port,
// TLS and keepalive). With TLS, caCert and verifyCertificate must be there:
// the CA is written to `ca_path` and the client verifies chain and host
// name. Disagreements are reported as non-fatal gtest failures.
MqttConnectOptions ConnectOptionsFrom(const MqttAccess& access, const std::string& password,
                                      const std::string& ca_path);

}  // namespace switchboard::testing
