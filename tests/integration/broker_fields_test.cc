// The broker's fields agree across every layer that lists them: the schema,
// the columns read into BrokerConfig (core/src/storage/broker_rows.cc), the
// fields written (BrokerInput, core/src/domain/brokers.h), the operator JSON
// in and out (server/api/routes_brokers.cc) and the device's brokerConfig
// (core/src/domain/client_broker_config.h). One table below says what each
// field is; a broker written through the API with every field set to a
// value of its own must read back the same everywhere. A field added to one
// layer and not the others fails here.
#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <soci/soci.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "api_test_support.h"
#include "test_certificates.h"

namespace switchboard {
namespace {

using testing::Int;
using testing::Json;
using testing::MemberNames;
using testing::String;
using testing::SwitchboardProcess;

enum class Type { kId, kText, kInteger, kBoolean, kJson, kTimestamp, kIdList };

struct Field {
  const char* column;  // also its name in the operator JSON
  Type type;
  bool writable;  // operators set it; else the server does
  bool secret;    // operators read has_<column> instead; devices never see it
  // Its key in the device's brokerConfig; "" when devices never see it.
  const char* client_key;
};

// Every column of mqtt_broker_config.
const Field kFields[] = {
    {"id", Type::kId, false, false, ""},
    {"name", Type::kText, true, false, ""},
    {"description", Type::kText, true, false, ""},
    {"protocol", Type::kText, true, false, "protocol"},
    {"host", Type::kText, true, false, "host"},
    {"port", Type::kInteger, true, false, "port"},
    {"path", Type::kText, true, false, "path"},
    {"username", Type::kText, true, false, ""},
    {"password", Type::kText, true, true, ""},
    {"use_tls", Type::kBoolean, true, false, "useTls"},
    {"ca_cert", Type::kText, true, false, "caCert"},
    {"client_cert", Type::kText, true, false, "clientCert"},
    {"client_key", Type::kText, true, true, ""},
    {"verify_certificate", Type::kBoolean, true, false, "verifyCertificate"},
    {"client_id_prefix", Type::kText, true, false, "clientIdPrefix"},
    {"keep_alive", Type::kInteger, true, false, "keepAlive"},
    {"clean_session", Type::kBoolean, true, false, "cleanSession"},
    {"reconnect_period", Type::kInteger, true, false, "reconnectPeriod"},
    {"connect_timeout", Type::kInteger, true, false, "connectTimeout"},
    {"is_active", Type::kBoolean, true, false, ""},
    {"is_default", Type::kBoolean, true, false, ""},
    {"broker_type", Type::kText, true, false, ""},
    {"region", Type::kText, true, false, ""},
    {"weight", Type::kInteger, true, false, ""},
    {"extra_config", Type::kJson, true, true, ""},
    {"created_at", Type::kTimestamp, false, false, ""},
    {"updated_at", Type::kTimestamp, false, false, ""},
    {"last_connected_at", Type::kTimestamp, false, false, ""},
    // Backups must name other brokers: the broker written alone can only
    // have none (tests/integration/broker_backups_test.cc writes real ones).
    {"backup_broker_ids", Type::kIdList, true, false, ""},
};

// What docs/api.md says a device is never sent: the broker's credentials,
// its client key, extra_config, and row ids.
const char* const kNeverSentToDevices[] = {"id", "username", "password", "client_key",
                                           "extra_config"};

// A value of its own for each text field, valid for its column.
std::string TextValue(const std::string& column) {
  static const std::map<std::string, std::string> constrained = {
      {"protocol", "wss"},  // ws/wss: the device is sent the path too
      {"host", "host-value.example"},
      {"path", "/path-value"},
      {"broker_type", "edge"},
      {"ca_cert", testing::kTestCaA},  // parsed on write: a real certificate
  };
  const auto it = constrained.find(column);
  return it != constrained.end() ? it->second : column + "-value";
}

// A value of its own for each integer field, valid for every one of them.
std::int64_t IntegerValue(std::size_t index) { return 1000 + 7 * static_cast<std::int64_t>(index); }

std::size_t IndexOf(const std::string& column) {
  for (std::size_t i = 0; i < std::size(kFields); ++i) {
    if (kFields[i].column == column) return i;
  }
  ADD_FAILURE() << "no field " << column;
  return 0;
}

// A body setting every writable field, the booleans to `flag`.
std::string EveryField(bool flag) {
  std::string body = "{";
  for (std::size_t i = 0; i < std::size(kFields); ++i) {
    const Field& field = kFields[i];
    if (!field.writable) continue;
    body += std::string(body.size() > 1 ? "," : "") + "\"" + field.column + "\":";
    switch (field.type) {
      case Type::kText: {
        std::string text = TextValue(field.column);
        for (std::size_t at = 0; (at = text.find('\n', at)) != std::string::npos; at += 2) {
          text.replace(at, 1, "\\n");
        }
        body += "\"" + text + "\"";
        break;
      }
      case Type::kInteger:
        body += std::to_string(IntegerValue(i));
        break;
      case Type::kBoolean:
        body += flag ? "true" : "false";
        break;
      case Type::kJson:
        body += R"({"extra":"extra-config-value"})";
        break;
      case Type::kIdList:
        body += "[]";
        break;
      case Type::kId:
      case Type::kTimestamp:
        break;
    }
  }
  return body + "}";
}

std::string JsonText(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// The operator's view of one broker has exactly one member per field (the
// secrets as has_<column>), each with the value written.
void ExpectOperatorView(const rapidjson::Value& broker, bool flag) {
  std::set<std::string> expected;
  for (const Field& field : kFields) {
    expected.insert(field.secret ? std::string("has_") + field.column : field.column);
  }
  // Derived from ca_cert on read, not columns (core/src/domain/ca_bundle.h).
  for (const char* derived : {"ca_certs", "ca_cert_expires_at", "ca_cert_expiring_soon"}) {
    expected.insert(derived);
  }
  const std::vector<std::string> names = MemberNames(broker);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()), expected) << JsonText(broker);
  EXPECT_EQ(names.size(), expected.size()) << "a member twice: " << JsonText(broker);

  for (std::size_t i = 0; i < std::size(kFields); ++i) {
    const Field& field = kFields[i];
    SCOPED_TRACE(field.column);
    if (field.secret) {
      const std::string has = std::string("has_") + field.column;
      ASSERT_TRUE(broker[has.c_str()].IsBool());
      EXPECT_TRUE(broker[has.c_str()].GetBool());
      continue;
    }
    const rapidjson::Value& value = broker[field.column];
    switch (field.type) {
      case Type::kText:
        EXPECT_EQ(String(broker, field.column), TextValue(field.column));
        break;
      case Type::kInteger:
        EXPECT_EQ(Int(broker, field.column), IntegerValue(i));
        break;
      case Type::kBoolean:
        ASSERT_TRUE(value.IsBool());
        EXPECT_EQ(value.GetBool(), flag);
        break;
      case Type::kId:
        EXPECT_GT(Int(broker, field.column), 0);
        break;
      case Type::kTimestamp:
        // Set by the server: created and updated now, never connected yet.
        EXPECT_TRUE(value.IsString() || value.IsNull());
        EXPECT_EQ(value.IsNull(), std::string(field.column) == "last_connected_at");
        break;
      case Type::kIdList:
        ASSERT_TRUE(value.IsArray());
        EXPECT_EQ(value.Size(), 0u);
        break;
      case Type::kJson:
        ADD_FAILURE() << "a JSON field operators read back";
        break;
    }
  }
}

class BrokerFieldsTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    server_ = SwitchboardProcess::Start(testing::ServeOptions(url()));
  }
  // Creates the broker with every field set (booleans true: active and the
  // default, so registrations resolve to it); returns its id.
  std::int64_t CreateEveryField() {
    const testing::HttpResponse r =
        server_->Admin("POST", "/api/v1/mqtt/brokers", EveryField(true));
    EXPECT_EQ(r.status, 201) << r.body;
    return Int(Json(r), "id");
  }

  std::unique_ptr<SwitchboardProcess> server_;
};

TEST(BrokerFieldsTableTest, NoFieldDevicesMustNeverSeeHasAClientKey) {
  for (const char* column : kNeverSentToDevices) {
    bool listed = false;
    for (const Field& field : kFields) {
      if (field.column != std::string(column)) continue;
      listed = true;
      EXPECT_STREQ(field.client_key, "") << column;
    }
    EXPECT_TRUE(listed) << column;
  }
  // A secret is never sent to a device either.
  for (const Field& field : kFields) {
    if (field.secret) {
      EXPECT_STREQ(field.client_key, "") << field.column;
    }
  }
}

TEST_P(BrokerFieldsTest, TheTableListsEveryColumnOfTheSchema) {
  const std::int64_t id = CreateEveryField();
  auto lease = storage().Acquire();
  soci::row row;
  const long long key = id;
  *lease << "SELECT * FROM mqtt_broker_config WHERE id = :id", soci::use(key), soci::into(row);
  std::set<std::string> schema;
  for (std::size_t i = 0; i < row.size(); ++i) schema.insert(row.get_properties(i).get_name());
  std::set<std::string> table;
  for (const Field& field : kFields) table.insert(field.column);
  EXPECT_EQ(schema, table);
}

TEST_P(BrokerFieldsTest, EveryFieldWrittenReadsBackForOperators) {
  const std::int64_t id = CreateEveryField();
  const std::string item = "/api/v1/mqtt/brokers/" + std::to_string(id);
  ExpectOperatorView(Json(server_->Admin("GET", item)), true);
  // Every boolean the other way, through the partial update.
  const testing::HttpResponse updated = server_->Admin("PUT", item, EveryField(false));
  ASSERT_EQ(updated.status, 200) << updated.body;
  ExpectOperatorView(Json(updated), false);
  ExpectOperatorView(Json(server_->Admin("GET", item)), false);
  // The list shows the same object.
  const rapidjson::Document list = Json(server_->Admin("GET", "/api/v1/mqtt/brokers"));
  ASSERT_TRUE(list["brokers"].IsArray() && list["brokers"].Size() == 1u);
  ExpectOperatorView(list["brokers"][0], false);
}

TEST_P(BrokerFieldsTest, DevicesGetExactlyTheClientFieldsWithTheirValues) {
  CreateEveryField();
  const std::string key = testing::CreateKey(*server_, "fleet-fields");
  const std::string uuid = testing::TestUuid(1);
  const testing::HttpResponse registered = testing::Register(*server_, key, uuid);
  ASSERT_EQ(registered.status, 200) << registered.body;
  const testing::HttpResponse fetched =
      testing::OneShot(server_->port(), "GET", "/api/v1/device/" + uuid + "/mqtt",
                       {{"X-Device-API-Key", "device-api-key-0123456789"}});
  ASSERT_EQ(fetched.status, 200) << fetched.body;

  const rapidjson::Document registration = Json(registered);
  const rapidjson::Document fetch = Json(fetched);
  for (const rapidjson::Value* mqtt : {static_cast<const rapidjson::Value*>(&registration["mqtt"]),
                                       static_cast<const rapidjson::Value*>(&fetch)}) {
    ASSERT_TRUE(mqtt->HasMember("brokerConfig")) << JsonText(*mqtt);
    const rapidjson::Value& config = (*mqtt)["brokerConfig"];
    EXPECT_EQ(String(*mqtt, "broker"),
              "wss://host-value.example:" + std::to_string(IntegerValue(IndexOf("port"))) +
                  "/path-value");

    std::set<std::string> expected;
    for (const Field& field : kFields) {
      if (*field.client_key != '\0') expected.insert(field.client_key);
    }
    const std::vector<std::string> names = MemberNames(config);
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()), expected) << JsonText(config);

    for (std::size_t i = 0; i < std::size(kFields); ++i) {
      const Field& field = kFields[i];
      if (*field.client_key == '\0') continue;
      SCOPED_TRACE(field.column);
      switch (field.type) {
        case Type::kText:
          EXPECT_EQ(String(config, field.client_key), TextValue(field.column));
          break;
        case Type::kInteger:
          EXPECT_EQ(Int(config, field.client_key), IntegerValue(i));
          break;
        case Type::kBoolean:
          ASSERT_TRUE(config[field.client_key].IsBool());
          EXPECT_TRUE(config[field.client_key].GetBool());
          break;
        default:
          ADD_FAILURE() << "a client field of an unexpected type";
      }
    }
    // Nothing of what devices must never see, under any name.
    const std::string text = JsonText(*mqtt);
    for (const char* column : kNeverSentToDevices) {
      if (std::string(column) == "id") continue;  // a number; checked by the key set above
      EXPECT_EQ(text.find(std::string(column) + "-value"), std::string::npos) << column;
    }
    EXPECT_EQ(text.find("extra-config-value"), std::string::npos);
  }
}

SWITCHBOARD_BOTH_BACKENDS(BrokerFieldsTest);

}  // namespace
}  // namespace switchboard
