// PUT /api/v1/device/{uuid}/state and what operators see of it (`reported`
// with inSync on GET /api/v1/devices/{uuid}, connections in the brokers
// summary, the broker's last_connected_at), against the real binary on both
// backends, good and bad input.
#include <gtest/gtest.h>
#include <soci/soci.h>

#include "api_test_support.h"

namespace switchboard {
namespace {

using testing::ExpectError;
using testing::HttpResponse;
using testing::Int;
using testing::IsNull;
using testing::Json;
using testing::OneShot;
using testing::String;

constexpr char kApiKey[] = "device-api-key-0123456789";

class DeviceStateApiTest : public testing::ServedDatabaseTest {
 protected:
  void SetUp() override {
    ServedDatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    broker_ = testing::CreateDefaultBroker(*server_, "alpha");
    key_ = testing::CreateKey(*server_, "fleet-state");
    ASSERT_EQ(testing::Register(*server_, key_, testing::TestUuid(1), kApiKey).status, 200);
  }
  HttpResponse Report(const std::string& body, const std::string& api_key = kApiKey,
                      const std::string& uuid = testing::TestUuid(1)) {
    return OneShot(server_->port(), "PUT", "/api/v1/device/" + uuid + "/state",
                   {{"X-Device-API-Key", api_key}, {"Content-Type", "application/json"}}, body);
  }
  // The device's config fetch (recorded as handed out): its configVersion.
  std::string CurrentVersion(const std::string& uuid = testing::TestUuid(1)) {
    const HttpResponse r = OneShot(server_->port(), "GET", "/api/v1/device/" + uuid + "/mqtt",
                                   {{"X-Device-API-Key", kApiKey}});
    EXPECT_EQ(r.status, 200) << r.body;
    return String(Json(r), "configVersion");
  }
  rapidjson::Document Device() {
    return Json(server_->Admin("GET", "/api/v1/devices/" + testing::TestUuid(1)));
  }
  std::string Body(const std::string& version, bool connected,
                   const std::string& broker = "mqtt://mqtt.example.com:1883") {
    return R"({"configVersion":")" + version + R"(","connected":)" +
           (connected ? "true" : "false") + R"(,"broker":")" + broker +
           R"(","agentVersion":"agent/1.0"})";
  }
  int InSyncCount() {
    const rapidjson::Document summary = Json(server_->Admin("GET", "/api/v1/mqtt/brokers/summary"));
    return static_cast<int>(Int(summary["brokers"][0], "in_sync_count"));
  }
  // What the server recorded as handed out to the device: "<none>" when
  // nothing is.
  std::string ServedVersion(const std::string& uuid = testing::TestUuid(1)) {
    auto lease = storage().Acquire();
    std::string version;
    soci::indicator ind = soci::i_null;
    const std::string key = uuid;
    *lease << "SELECT served_config_version FROM devices WHERE uuid = :u", soci::use(key),
        soci::into(version, ind);
    return ind == soci::i_ok ? version : "<none>";
  }
  long long StoredReports() {
    auto lease = storage().Acquire();
    long long n = 0;
    *lease << "SELECT COUNT(*) FROM device_reports", soci::into(n);
    return n;
  }

  std::int64_t broker_ = 0;
  std::string key_;
};

TEST_P(DeviceStateApiTest, AReportIsStoredAndOperatorsSeeItInSync) {
  EXPECT_TRUE(IsNull(Device(), "reported"));
  const std::string version = CurrentVersion();
  const HttpResponse r = Report(Body(version, true));
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(r.body, "");
  const rapidjson::Document device = Device();
  ASSERT_TRUE(device["reported"].IsObject()) << String(device, "uuid");
  const rapidjson::Value& reported = device["reported"];
  EXPECT_EQ(String(reported, "configVersion"), version);
  EXPECT_TRUE(reported["connected"].GetBool());
  EXPECT_EQ(String(reported, "broker"), "mqtt://mqtt.example.com:1883");
  EXPECT_EQ(Int(reported, "brokerId"), broker_);
  EXPECT_TRUE(IsNull(reported, "lastError"));
  EXPECT_EQ(String(reported, "agentVersion"), "agent/1.0");
  EXPECT_NE(String(reported, "reportedAt"), "<none>");
  EXPECT_TRUE(reported["inSync"].GetBool());

  // The connection is the broker's last one, and the summary counts it.
  const rapidjson::Document broker =
      Json(server_->Admin("GET", "/api/v1/mqtt/brokers/" + std::to_string(broker_)));
  EXPECT_NE(String(broker, "last_connected_at"), "<none>");
  const rapidjson::Document summary = Json(server_->Admin("GET", "/api/v1/mqtt/brokers/summary"));
  EXPECT_EQ(Int(summary["brokers"][0], "connected_count"), 1);
  EXPECT_EQ(Int(summary["brokers"][0], "in_sync_count"), 1);

  // A change the device has not picked up yet: no longer in sync.
  ASSERT_EQ(testing::AdminJson(*server_, "PUT", "/api/v1/mqtt/brokers/" + std::to_string(broker_),
                               R"({"keep_alive":45})")
                .status,
            200);
  EXPECT_FALSE(Device()["reported"]["inSync"].GetBool());
  EXPECT_EQ(InSyncCount(), 0);
  // The fetch hands out the new version: still not in sync until reported.
  const std::string next = CurrentVersion();
  EXPECT_NE(next, version);
  EXPECT_EQ(ServedVersion(), next);
  EXPECT_FALSE(Device()["reported"]["inSync"].GetBool());
  // It fetches and reports again: in sync; a disconnection stops counting.
  ASSERT_EQ(Report(Body(next, false)).status, 204);
  EXPECT_TRUE(Device()["reported"]["inSync"].GetBool());
  EXPECT_FALSE(Device()["reported"]["connected"].GetBool());
  EXPECT_EQ(Int(Json(server_->Admin("GET", "/api/v1/mqtt/brokers/summary"))["brokers"][0],
                "connected_count"),
            0);
  EXPECT_EQ(InSyncCount(), 0) << "in_sync_count counts connected devices only";
  EXPECT_EQ(StoredReports(), 1);  // the last report only
}

TEST_P(DeviceStateApiTest, RegistrationRecordsWhatItHandsOutSoAReportOfItIsInSync) {
  // The answer of SetUp's registration, recorded with it: no fetch needed.
  const HttpResponse again = testing::Register(*server_, key_, testing::TestUuid(1), kApiKey);
  ASSERT_EQ(again.status, 200) << again.body;
  const std::string version = String(Json(again)["mqtt"], "configVersion");
  EXPECT_EQ(ServedVersion(), version);
  ASSERT_EQ(Report(Body(version, true)).status, 204);
  EXPECT_TRUE(Device()["reported"]["inSync"].GetBool());
  EXPECT_EQ(InSyncCount(), 1);
}

TEST_P(DeviceStateApiTest, AnUnrelatedChangeIsConfirmedByThe304OfTheNextFetch) {
  const std::string version = CurrentVersion();
  ASSERT_EQ(Report(Body(version, true)).status, 204);
  ASSERT_TRUE(Device()["reported"]["inSync"].GetBool());
  // Another broker: the configuration changed, this device's config did not.
  ASSERT_EQ(server_->Admin("POST", "/api/v1/mqtt/brokers", R"({"name":"other","host":"o.example"})")
                .status,
            201);
  EXPECT_FALSE(Device()["reported"]["inSync"].GetBool()) << "not confirmed yet";
  EXPECT_EQ(InSyncCount(), 0);
  const HttpResponse not_modified =
      OneShot(server_->port(), "GET", "/api/v1/device/" + testing::TestUuid(1) + "/mqtt",
              {{"X-Device-API-Key", kApiKey}, {"If-None-Match", "\"" + version + "\""}});
  ASSERT_EQ(not_modified.status, 304) << not_modified.body;
  EXPECT_TRUE(Device()["reported"]["inSync"].GetBool()) << "the 304 confirmed it";
  EXPECT_EQ(InSyncCount(), 1);
}

TEST_P(DeviceStateApiTest, AnOperatorEditOfTheDeviceMakesItNotInSyncUntilItFetches) {
  const std::string version = CurrentVersion();
  ASSERT_EQ(Report(Body(version, true)).status, 204);
  ASSERT_EQ(testing::AdminJson(*server_, "PUT", "/api/v1/devices/" + testing::TestUuid(1),
                               R"({"region":"eu"})")
                .status,
            200);
  EXPECT_EQ(ServedVersion(), "<none>");
  EXPECT_FALSE(Device()["reported"]["inSync"].GetBool());
  // A fetch with a wrong key records nothing.
  const HttpResponse wrong =
      OneShot(server_->port(), "GET", "/api/v1/device/" + testing::TestUuid(1) + "/mqtt",
              {{"X-Device-API-Key", "wrong-device-key-0123456789"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(ServedVersion(), "<none>");
  // The device's own fetch does; the region changes nothing it is told.
  EXPECT_EQ(CurrentVersion(), version);
  EXPECT_EQ(ServedVersion(), version);
  EXPECT_TRUE(Device()["reported"]["inSync"].GetBool());
}

TEST_P(DeviceStateApiTest, AnUnknownConfigVersionIsStoredButNotInSync) {
  ASSERT_EQ(Report(Body("never-issued", true)).status, 204);
  const rapidjson::Document device = Device();
  EXPECT_EQ(String(device["reported"], "configVersion"), "never-issued");
  EXPECT_FALSE(device["reported"]["inSync"].GetBool());
}

TEST_P(DeviceStateApiTest, ABrokerNoStoredBrokerHasIsStoredWithoutOne) {
  ASSERT_EQ(Report(Body(CurrentVersion(), true, "mqtts://elsewhere.example:8883")).status, 204);
  EXPECT_TRUE(IsNull(Device()["reported"], "brokerId"));
  EXPECT_EQ(Int(Json(server_->Admin("GET", "/api/v1/mqtt/brokers/summary"))["brokers"][0],
                "connected_count"),
            0);
}

TEST_P(DeviceStateApiTest, UnknownDeviceAndWrongKeyGetTheSame401) {
  const HttpResponse wrong_key = Report(Body("v", true), "wrong-device-key-0123456789");
  const HttpResponse unknown = Report(Body("v", true), kApiKey, testing::TestUuid(99));
  ExpectError(wrong_key, 401, "unauthorized");
  ExpectError(unknown, 401, "unauthorized");
  EXPECT_EQ(wrong_key.body, unknown.body);
  ExpectError(Report(Body("v", true), ""), 401, "unauthorized");
  EXPECT_EQ(StoredReports(), 0);
}

TEST_P(DeviceStateApiTest, BadReportsAre400Or413AndStoreNothing) {
  const std::string v = CurrentVersion();
  const std::pair<std::string, std::string> bad[] = {
      {"{", ""},
      {"[]", ""},
      {R"({"connected":true,"broker":"mqtt://a.example"})", "configVersion"},
      {R"({"configVersion":"","connected":true,"broker":"mqtt://a.example"})", "configVersion"},
      {R"({"configVersion":")" + std::string(257, 'a') +
           R"(","connected":true,"broker":"mqtt://a.example"})",
       "configVersion"},
      {R"({"configVersion":"v","broker":"mqtt://a.example"})", "connected"},
      {R"({"configVersion":"v","connected":"yes","broker":"mqtt://a.example"})", "connected"},
      {R"({"configVersion":"v","connected":true})", "broker"},
      {R"({"configVersion":"v","connected":true,"broker":"not a url"})", "broker"},
      {R"({"configVersion":"v","connected":true,"broker":"http://a.example"})", "broker"},
      {R"({"configVersion":"v","connected":true,"broker":7})", "broker"},
      {R"({"configVersion":"v","connected":true,"broker":"mqtt://a.example","lastError":")" +
           std::string(1025, 'e') + "\"}",
       "lastError"},
      {R"({"configVersion":"v","connected":true,"broker":"mqtt://a.example","agentVersion":""})",
       "agentVersion"},
  };
  for (const auto& [body, field] : bad) {
    SCOPED_TRACE(body.substr(0, 80));
    ExpectError(Report(body), 400, "invalid_request", field);
  }
  const HttpResponse huge =
      Report(R"({"configVersion":"v","connected":true,"broker":"mqtt://a.example","lastError":")" +
             std::string(70000, 'e') + "\"}");
  EXPECT_EQ(huge.status, 413);
  EXPECT_EQ(StoredReports(), 0);
}

TEST_P(DeviceStateApiTest, TheDeviceListFiltersByInSyncFleetRegionAndBroker) {
  // Device 1 (registered in SetUp) reports the current version, 2 a stale
  // one, 3 never reports. 2 and 3 are in region eu, 3 pinned to beta.
  for (int n : {2, 3}) {
    ASSERT_EQ(testing::Register(*server_, key_, testing::TestUuid(n), kApiKey).status, 200);
  }
  const std::int64_t beta = Int(
      Json(server_->Admin("POST", "/api/v1/mqtt/brokers", R"({"name":"beta","host":"b.example"})")),
      "id");
  ASSERT_EQ(testing::AdminJson(*server_, "PUT", "/api/v1/devices/" + testing::TestUuid(2),
                               R"({"region":"eu"})")
                .status,
            200);
  ASSERT_EQ(testing::AdminJson(*server_, "PUT", "/api/v1/devices/" + testing::TestUuid(3),
                               R"({"region":"eu","mqtt_broker_id":)" + std::to_string(beta) + "}")
                .status,
            200);
  ASSERT_EQ(Report(Body(CurrentVersion(), true)).status, 204);
  ASSERT_EQ(Report(Body("stale", true), kApiKey, testing::TestUuid(2)).status, 204);

  const auto uuids = [this](const std::string& query) {
    const HttpResponse r = server_->Admin("GET", "/api/v1/devices?" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    const rapidjson::Document page = Json(r);
    std::vector<std::string> out;
    for (const auto& d : page["devices"].GetArray()) out.push_back(d["uuid"].GetString());
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(uuids("inSync=true"), V{testing::TestUuid(1)});
  EXPECT_EQ(uuids("inSync=false"), (V{testing::TestUuid(2), testing::TestUuid(3)}));
  EXPECT_EQ(uuids("inSync=false&limit=1"), V{testing::TestUuid(2)});
  EXPECT_EQ(uuids("region=eu"), (V{testing::TestUuid(2), testing::TestUuid(3)}));
  EXPECT_EQ(uuids("region=eu&inSync=false&mqtt_broker_id=" + std::to_string(beta)),
            V{testing::TestUuid(3)});
  EXPECT_EQ(uuids("fleet_id=fleet-state").size(), 3u);
  EXPECT_TRUE(uuids("fleet_id=other").empty());
  for (const char* bad : {"maybe", "TRUE", "1", ""}) {
    ExpectError(server_->Admin("GET", std::string("/api/v1/devices?inSync=") + bad), 400,
                "invalid_request", "inSync");
  }
  ExpectError(server_->Admin("GET", "/api/v1/devices?mqtt_broker_id=x"), 400, "invalid_request",
              "mqtt_broker_id");
}

TEST_P(DeviceStateApiTest, TheInSyncFilterPagesExactly) {
  // Devices 1..7; the odd ones report what they were handed, the even ones
  // a stale version. Every page holds `limit` devices but the last.
  for (int n = 2; n <= 7; ++n) {
    ASSERT_EQ(testing::Register(*server_, key_, testing::TestUuid(n), kApiKey).status, 200);
  }
  for (int n = 1; n <= 7; ++n) {
    const HttpResponse fetched =
        OneShot(server_->port(), "GET", "/api/v1/device/" + testing::TestUuid(n) + "/mqtt",
                {{"X-Device-API-Key", kApiKey}});
    ASSERT_EQ(fetched.status, 200) << fetched.body;
    const std::string version = n % 2 == 1 ? String(Json(fetched), "configVersion") : "stale";
    ASSERT_EQ(Report(Body(version, true), kApiKey, testing::TestUuid(n)).status, 204);
  }
  const auto walk = [this](const std::string& filter, std::int64_t limit) {
    std::vector<std::string> seen;
    std::string after = "0";
    for (int pages = 0; pages < 20; ++pages) {
      const HttpResponse r =
          server_->Admin("GET", "/api/v1/devices?" + filter + "&limit=" + std::to_string(limit) +
                                    "&after=" + after);
      EXPECT_EQ(r.status, 200) << r.body;
      const rapidjson::Document page = Json(r);
      for (const auto& d : page["devices"].GetArray()) seen.push_back(d["uuid"].GetString());
      if (page["next_after"].IsNull()) break;
      EXPECT_EQ(page["devices"].Size(), static_cast<rapidjson::SizeType>(limit)) << r.body;
      after = std::to_string(page["next_after"].GetInt64());
    }
    return seen;
  };
  using V = std::vector<std::string>;
  const V odd{testing::TestUuid(1), testing::TestUuid(3), testing::TestUuid(5),
              testing::TestUuid(7)};
  const V even{testing::TestUuid(2), testing::TestUuid(4), testing::TestUuid(6)};
  EXPECT_EQ(walk("inSync=true", 1), odd);
  EXPECT_EQ(walk("inSync=true", 3), odd);
  EXPECT_EQ(walk("inSync=false", 1), even);
  EXPECT_EQ(walk("inSync=false", 2), even);
  EXPECT_EQ(walk("inSync=false", 1000), even);
  EXPECT_EQ(InSyncCount(), 4);
  const rapidjson::Document summary = Json(server_->Admin("GET", "/api/v1/mqtt/brokers/summary"));
  EXPECT_EQ(Int(summary["brokers"][0], "connected_count"), 7);
}

TEST_P(DeviceStateApiTest, EachListRowCarriesTheReportTheSingleReadShows) {
  // Device 1 never reports. 2 reports what it was handed last. 3 reported,
  // then was moved to broker beta and fetched the new version, which it has
  // not reported. 4 reported what it was handed, then a broker edit made it
  // not in sync until its next fetch.
  using testing::TestUuid;
  for (int n : {2, 3, 4}) {
    ASSERT_EQ(testing::Register(*server_, key_, TestUuid(n), kApiKey).status, 200);
  }
  const std::int64_t beta = Int(
      Json(server_->Admin("POST", "/api/v1/mqtt/brokers", R"({"name":"beta","host":"b.example"})")),
      "id");
  const std::string old3 = CurrentVersion(TestUuid(3));
  ASSERT_EQ(Report(Body(old3, true), kApiKey, TestUuid(3)).status, 204);
  ASSERT_EQ(Report(Body(CurrentVersion(TestUuid(4)), true), kApiKey, TestUuid(4)).status, 204);
  ASSERT_TRUE(Json(server_->Admin("GET", "/api/v1/devices/" + TestUuid(4)))["reported"]["inSync"]
                  .GetBool());
  ASSERT_EQ(testing::AdminJson(*server_, "PUT", "/api/v1/devices/" + TestUuid(3),
                               R"({"mqtt_broker_id":)" + std::to_string(beta) + "}")
                .status,
            200);
  EXPECT_NE(CurrentVersion(TestUuid(3)), old3);
  ASSERT_EQ(testing::AdminJson(*server_, "PUT", "/api/v1/mqtt/brokers/" + std::to_string(broker_),
                               R"({"keep_alive":45})")
                .status,
            200);
  ASSERT_EQ(Report(Body(CurrentVersion(TestUuid(2)), true), kApiKey, TestUuid(2)).status, 204);

  const rapidjson::Document list = Json(server_->Admin("GET", "/api/v1/devices"));
  ASSERT_EQ(list["devices"].Size(), 4u);
  for (rapidjson::SizeType i = 0; i < 4; ++i) {
    const rapidjson::Value& row = list["devices"][i];
    SCOPED_TRACE(row["uuid"].GetString());
    const rapidjson::Document single =
        Json(server_->Admin("GET", "/api/v1/devices/" + TestUuid(static_cast<int>(i) + 1)));
    EXPECT_TRUE(row == static_cast<const rapidjson::Value&>(single))
        << "the list row and the single read differ";
  }
  const rapidjson::Value& rows = list["devices"];
  EXPECT_TRUE(rows[0]["reported"].IsNull());
  ASSERT_TRUE(rows[1]["reported"].IsObject());
  EXPECT_TRUE(rows[1]["reported"]["inSync"].GetBool());
  ASSERT_TRUE(rows[2]["reported"].IsObject());
  EXPECT_EQ(String(rows[2]["reported"], "configVersion"), old3);
  EXPECT_FALSE(rows[2]["reported"]["inSync"].GetBool()) << "reported an old version";
  ASSERT_TRUE(rows[3]["reported"].IsObject());
  EXPECT_FALSE(rows[3]["reported"]["inSync"].GetBool()) << "not fetched since the broker edit";

  // The filter selects exactly the rows whose reported.inSync is true (or
  // not), and those rows say so.
  const auto filtered = [this](const std::string& value) {
    const rapidjson::Document page = Json(server_->Admin("GET", "/api/v1/devices?inSync=" + value));
    std::vector<std::string> out;
    for (const auto& d : page["devices"].GetArray()) {
      const bool in_sync = d["reported"].IsObject() && d["reported"]["inSync"].GetBool();
      EXPECT_EQ(in_sync, value == "true") << d["uuid"].GetString();
      out.push_back(d["uuid"].GetString());
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(filtered("true"), V{TestUuid(2)});
  EXPECT_EQ(filtered("false"), (V{TestUuid(1), TestUuid(3), TestUuid(4)}));

  // Device 4 fetches and reports what it is handed now: in sync, in both.
  ASSERT_EQ(Report(Body(CurrentVersion(TestUuid(4)), true), kApiKey, TestUuid(4)).status, 204);
  const rapidjson::Document after = Json(server_->Admin(
      "GET", "/api/v1/devices?after=" + std::to_string(Int(list["devices"][2], "id"))));
  ASSERT_EQ(after["devices"].Size(), 1u);
  EXPECT_TRUE(after["devices"][0]["reported"]["inSync"].GetBool());
  const rapidjson::Document single4 = Json(server_->Admin("GET", "/api/v1/devices/" + TestUuid(4)));
  EXPECT_TRUE(after["devices"][0] == static_cast<const rapidjson::Value&>(single4));
  EXPECT_EQ(filtered("true"), (V{TestUuid(2), TestUuid(4)}));
}

SWITCHBOARD_BOTH_BACKENDS(DeviceStateApiTest);

}  // namespace
}  // namespace switchboard
