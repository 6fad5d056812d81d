// configVersion changes when, and only when, a field the device is told
// changes (core/src/domain/device_view.h), over the API on both backends:
// one edit at a time, each broker field the device sees (on its broker and
// on a failover endpoint) against each it never sees (server-side
// credentials, name, routing attributes, a broker in no list of its), then
// a new backup and a reassignment. The failover itself is in
// tests/e2e/failover_e2e_test.cc (it needs real brokers going down).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "api_test_support.h"
#include "test_certificates.h"

namespace switchboard {
namespace {

using testing::HttpResponse;
using testing::Int;
using testing::Json;
using testing::String;

constexpr char kDeviceKey[] = "config-version-device-key-0123456789";

std::string PemJson(const std::string& pem) {
  std::string out = "\"";
  for (const char c : pem) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  return out + "\"";
}

class ConfigVersionTest : public testing::ServedDatabaseTest {
 protected:
  void SetUp() override {
    ServedDatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    d_ = CreateBroker(R"({"name":"d","host":"d.example","region":"eu-west"})");
    b_ = CreateBroker(R"({"name":"b","host":"b.example","port":1884})");
    a_ = CreateBroker(R"({"name":"a","host":"a.example","is_default":true,"region":"eu-west",)"
                      R"("backup_broker_ids":[)" +
                      std::to_string(b_) + "]}");
    const std::string key = testing::CreateKey(*server_, "fleet-config-version");
    ASSERT_EQ(testing::Register(*server_, key, Uuid(), kDeviceKey).status, 200);
    Assign(a_);
  }

  static std::string Uuid() { return testing::TestUuid(31); }

  std::int64_t CreateBroker(const std::string& body) {
    const HttpResponse r = testing::AdminJson(*server_, "POST", "/api/v1/mqtt/brokers", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return Int(Json(r), "id");
  }
  void Update(std::int64_t id, const std::string& body) {
    const HttpResponse r =
        testing::AdminJson(*server_, "PUT", "/api/v1/mqtt/brokers/" + std::to_string(id), body);
    ASSERT_EQ(r.status, 200) << body << ": " << r.body;
  }
  void Assign(std::int64_t id) {
    const HttpResponse r = testing::AdminJson(*server_, "PUT", "/api/v1/devices/" + Uuid(),
                                              R"({"mqtt_broker_id":)" + std::to_string(id) + "}");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  std::string Version() {
    const HttpResponse r =
        testing::OneShot(server_->port(), "GET", "/api/v1/device/" + Uuid() + "/mqtt",
                         {{"X-Device-API-Key", kDeviceKey}});
    EXPECT_EQ(r.status, 200) << r.body;
    const std::string version = String(Json(r), "configVersion");
    EXPECT_EQ(r.Header("ETag").value_or(""), "\"" + version + "\"");
    return version;
  }

  std::int64_t a_ = 0, b_ = 0, d_ = 0;
};

TEST_P(ConfigVersionTest, ChangesWithEveryFieldTheDeviceSeesAndWithNoOther) {
  struct Edit {
    std::int64_t broker;
    std::string body;
    bool seen;  // the device is told this field
  };
  const std::vector<Edit> edits = {
      // Its broker, A.
      {a_, R"({"password":"server-side-secret-1"})", false},
      {a_, R"({"username":"svc-a"})", false},
      {a_, R"({"client_key":"client-key-secret-a"})", false},
      {a_, R"({"name":"a-renamed"})", false},
      {a_, R"({"description":"edited"})", false},
      {a_, R"({"extra_config":{"k":"v"}})", false},
      {a_, R"({"weight":7})", false},
      {a_, R"({"region":"us-east"})", false},
      {a_, R"({"broker_type":"edge"})", false},
      {a_, R"({"port":1999})", true},
      {a_, R"({"keep_alive":30})", true},
      {a_, R"({"host":"a2.example"})", true},
      {a_, R"({"client_id_prefix":"sb-"})", true},
      {a_, R"({"clean_session":false})", true},
      {a_, R"({"reconnect_period":2500})", true},
      {a_, R"({"connect_timeout":9000})", true},
      {a_, R"({"verify_certificate":false})", true},
      {a_, R"({"ca_cert":)" + PemJson(testing::kTestCaA) + "}", true},
      {a_, R"({"client_cert":)" + PemJson(testing::kTestCaB) + "}", true},
      {a_, R"({"protocol":"mqtts","use_tls":true,"port":8883})", true},
      // Its failover endpoint, B.
      {b_, R"({"password":"server-side-secret-2"})", false},
      {b_, R"({"name":"b-renamed","weight":3})", false},
      {b_, R"({"port":2000})", true},
      {b_, R"({"keep_alive":20})", true},
      // A broker in no list of the device's, D.
      {d_, R"({"port":2001,"keep_alive":10,"password":"x-secret"})", false},
      {d_, R"({"host":"d2.example"})", false},
      // D becomes A's second backup: now it is seen, its password still not.
      {a_, R"({"backup_broker_ids":[)" + std::to_string(b_) + "," + std::to_string(d_) + "]}",
       true},
      {d_, R"({"password":"y-secret"})", false},
      {d_, R"({"port":2002})", true},
  };
  std::vector<std::string> seen_versions = {Version()};
  for (const Edit& edit : edits) {
    SCOPED_TRACE("broker " + std::to_string(edit.broker) + ": " + edit.body);
    const std::string before = Version();
    Update(edit.broker, edit.body);
    const std::string after = Version();
    if (edit.seen) {
      EXPECT_NE(after, before);
      // Every edit above sets a value not set before: never an old version.
      EXPECT_EQ(std::find(seen_versions.begin(), seen_versions.end(), after), seen_versions.end());
      seen_versions.push_back(after);
    } else {
      EXPECT_EQ(after, before);
    }
  }

  // The same view gives the same version: D out of the list and back.
  const std::string with_d = Version();
  Update(a_, R"({"backup_broker_ids":[)" + std::to_string(b_) + "]}");
  EXPECT_NE(Version(), with_d);
  Update(a_, R"({"backup_broker_ids":[)" + std::to_string(b_) + "," + std::to_string(d_) + "]}");
  EXPECT_EQ(Version(), with_d);

  // Reassignment changes it; assigning A again gives A's version back.
  const std::string on_a = Version();
  Assign(b_);
  const std::string on_b = Version();
  EXPECT_NE(on_b, on_a);
  Assign(a_);
  EXPECT_EQ(Version(), on_a);
}

SWITCHBOARD_BOTH_BACKENDS(ConfigVersionTest);

}  // namespace
}  // namespace switchboard
