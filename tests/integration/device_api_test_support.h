// Shared by the integration tests of the device API: test data written
// straight into the test's database (fleets, provisioning keys, brokers),
// registration requests over real HTTP, and small JSON/row-count checks.
//
//   class RegistrationApiTest : public DeviceApiTest {};
//   TEST_P(RegistrationApiTest, X) {
//     const std::string key = AddKey("fleet-a");
//     auto server = SwitchboardProcess::Start(ServeOptions(url()));
//     HttpResponse r = Register(server->port(), key, RegistrationBody(NewUuid()));
//   }
//
// Not thread-safe except where noted (Register, RegistrationBody, NewUuid
// may be called from any thread).
#pragma once

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <soci/soci.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "switchboard_process.h"
#include "util/crypto.h"

namespace switchboard::testing {

// A random lowercase version-4 UUID. Thread-safe.
inline std::string NewUuid() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    int digit = static_cast<int>(random() % 16);
    if (i == 12) digit = 4;
    if (i == 16) digit = 8 + digit % 4;
    out += kHex[digit];
  }
  return out;
}

// A JSON string literal (quotes included) for test bodies.
inline std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

inline constexpr char kDeviceApiKey[] = "device-api-key-0123456789";

// {"uuid", "deviceName", "deviceType", "deviceApiKey"} plus `extra_fields`
// (already JSON: `"region":"eu"`). Thread-safe.
inline std::string RegistrationBody(const std::string& uuid, const std::string& name = "sensor",
                                    const std::string& api_key = kDeviceApiKey,
                                    const std::string& extra_fields = "") {
  std::string body = "{\"uuid\":" + JsonString(uuid) + ",\"deviceName\":" + JsonString(name) +
                     ",\"deviceType\":\"thermometer\",\"deviceApiKey\":" + JsonString(api_key);
  if (!extra_fields.empty()) body += "," + extra_fields;
  return body + "}";
}

inline Headers JsonHeaders(const std::string& bearer) {
  Headers headers = {{"Content-Type", "application/json"}};
  if (!bearer.empty()) headers.push_back({"Authorization", "Bearer " + bearer});
  return headers;
}

// POST /api/v1/device/register on a fresh connection. Thread-safe.
inline HttpResponse Register(std::uint16_t port, const std::string& key, const std::string& body) {
  return OneShot(port, "POST", "/api/v1/device/register", JsonHeaders(key), body);
}

// Parses a response body that must be JSON (a test failure otherwise).
inline rapidjson::Document ParseJson(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.c_str(), text.size());
  EXPECT_FALSE(document.HasParseError())
      << rapidjson::GetParseError_En(document.GetParseError()) << " in: " << text;
  return document;
}

// Member names of a JSON object, in order.
inline std::vector<std::string> Keys(const rapidjson::Value& object) {
  std::vector<std::string> keys;
  if (!object.IsObject()) return keys;
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    keys.emplace_back(it->name.GetString(), it->name.GetStringLength());
  }
  return keys;
}

// The error body (docs/api.md) with this status and code; returns the message.
inline std::string ExpectApiError(const HttpResponse& response, int status, const std::string& code,
                                  const std::string& field = "") {
  EXPECT_EQ(response.status, status) << response.body;
  EXPECT_NE(response.Header("Content-Type").value_or("").find("application/json"),
            std::string::npos)
      << response.body;
  rapidjson::Document body = ParseJson(response.body);
  if (!body.IsObject() || !body.HasMember("error") || !body["error"].IsObject()) {
    ADD_FAILURE() << "not an error body: " << response.body;
    return "";
  }
  const rapidjson::Value& error = body["error"];
  EXPECT_TRUE(error.HasMember("code") && error["code"].IsString() &&
              error["code"].GetString() == code)
      << response.body;
  if (!field.empty()) {
    EXPECT_TRUE(error.HasMember("field") && error["field"].IsString() &&
                error["field"].GetString() == field)
        << "expected field " << field << ": " << response.body;
  }
  return error.HasMember("message") && error["message"].IsString() ? error["message"].GetString()
                                                                   : "";
}

// No SQL text, database/library names or parser internals in a body the
// client sees (the TypeScript original leaked all of these).
inline void ExpectNoInternals(const std::string& text) {
  for (const char* word :
       {"SELECT", "INSERT", "UPDATE ", "sqlite", "SQLite", "soci", "SOCI", "rapidjson", "RapidJSON",
        "postgres", "constraint", "Exception", "what()", "::"}) {
    EXPECT_EQ(text.find(word), std::string::npos) << "'" << word << "' leaked in: " << text;
  }
}

// A fixture with helpers that write test data straight into the database
// the server under test uses.
class DeviceApiTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    // The env step reads this; tests that want it set pass it explicitly
    // through SwitchboardProcessOptions::environment.
    unsetenv("MQTT_BROKER_URL");
  }

  long long QueryInt(const std::string& query) {
    Storage::Lease lease = storage().Acquire();
    long long value = 0;
    soci::indicator indicator = soci::i_ok;
    *lease << query, soci::into(value, indicator);
    return indicator == soci::i_ok ? value : 0;
  }

  std::string QueryString(const std::string& query) {
    Storage::Lease lease = storage().Acquire();
    std::string value;
    soci::indicator indicator = soci::i_ok;
    *lease << query, soci::into(value, indicator);
    return indicator == soci::i_ok ? value : "";
  }

  long long Count(const std::string& table, const std::string& where = "") {
    return QueryInt("SELECT COUNT(*) FROM " + table + (where.empty() ? "" : " WHERE " + where));
  }

  // Rows in the three tables a registration writes.
  struct RowCounts {
    long long devices, users, acls;
    bool operator==(const RowCounts&) const = default;
  };
  RowCounts Rows() { return {Count("devices"), Count("mqtt_users"), Count("mqtt_acls")}; }

  void AddFleet(const std::string& id, std::optional<long long> broker_id = std::nullopt) {
    if (Count("fleets", "id = '" + id + "'") > 0) return;
    Exec("INSERT INTO fleets (id, name, mqtt_broker_id) VALUES ('" + id + "', '" + id + "', " +
         (broker_id ? std::to_string(*broker_id) : "NULL") + ")");
  }

  // A provisioning key for `fleet` (created when missing); returns the key
  // in clear. `max_devices` < 0: unlimited. `expires_at`: ISO-8601 or "".
  std::string AddKey(const std::string& fleet, long long max_devices = -1,
                     const std::string& expires_at = "", bool active = true) {
    AddFleet(fleet);
    const std::string key = RandomToken(32);
    Exec(
        "INSERT INTO provisioning_keys (key_hash, fleet_id, max_devices, expires_at, is_active) "
        "VALUES ('" +
        Sha256Hex(key) + "', '" + fleet + "', " +
        (max_devices < 0 ? "NULL" : std::to_string(max_devices)) + ", " +
        (expires_at.empty() ? "NULL" : "'" + expires_at + "'") + ", " + (active ? "1" : "0") + ")");
    return key;
  }

  long long KeyCounter(const std::string& key) {
    return QueryInt("SELECT devices_provisioned FROM provisioning_keys WHERE key_hash = '" +
                    Sha256Hex(key) + "'");
  }

  // Inserts a broker; `columns` maps column names to SQL literals and
  // overrides the defaults (name, host). Returns its id.
  long long AddBroker(const std::string& name, std::map<std::string, std::string> columns = {}) {
    columns.emplace("name", "'" + name + "'");
    columns.emplace("host", "'" + name + ".example.com'");
    std::string names, values;
    for (const auto& [column, value] : columns) {
      names += (names.empty() ? "" : ", ") + column;
      values += (values.empty() ? "" : ", ") + value;
    }
    Exec("INSERT INTO mqtt_broker_config (" + names + ") VALUES (" + values + ")");
    return QueryInt("SELECT id FROM mqtt_broker_config WHERE name = '" + name + "'");
  }
};

}  // namespace switchboard::testing
