// The one mapping of domain codes and chain refusals to HTTP
// (server/api/error_mapping.cc).
#include "api/error_mapping.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "engine/resolve_context.h"
#include "in_process_api.h"
#include "storage/sql_errors.h"
#include "storage/storage.h"

namespace switchboard {
namespace {

using testing::InProcessApi;

std::string HeaderOf(const http::ApiError& error, const std::string& name) {
  for (const auto& [key, value] : error.headers()) {
    if (key == name) return value;
  }
  return "<none>";
}

TEST(ErrorMappingTest, EveryDomainCodeHasItsStatusAndWireCode) {
  // What docs/api.md promises for each code.
  const std::map<DomainCode, std::pair<int, std::string>> expected = {
      {DomainCode::kInvalidField, {400, "invalid_request"}},
      {DomainCode::kUnauthenticated, {401, "unauthorized"}},
      {DomainCode::kRefused, {403, "forbidden"}},
      {DomainCode::kNotFound, {404, "not_found"}},
      {DomainCode::kConflict, {409, "conflict"}},
      {DomainCode::kNoBroker, {503, "unavailable"}},
      {DomainCode::kStorageUnavailable, {503, "unavailable"}},
  };
  std::set<std::string> names;
  for (const DomainCode code : kAllDomainCodes) {
    SCOPED_TRACE(DomainCodeName(code));
    EXPECT_TRUE(names.insert(DomainCodeName(code)).second) << "two codes share a name";
    const auto it = expected.find(code);
    ASSERT_NE(it, expected.end()) << "a domain code this test does not know: map it, then add it";
    const http::ErrorCode error = HttpMappingOf(code).error;
    EXPECT_EQ(http::StatusOf(error), it->second.first);
    EXPECT_EQ(http::NameOf(error), it->second.second);
  }
  EXPECT_EQ(expected.size(), std::size(kAllDomainCodes));
}

TEST(ErrorMappingTest, HeadersGoWithTheirCodesOnly) {
  for (const DomainCode code : kAllDomainCodes) {
    SCOPED_TRACE(DomainCodeName(code));
    const http::ApiError error = ToApiError(code, "message");
    EXPECT_EQ(HeaderOf(error, "WWW-Authenticate"),
              code == DomainCode::kUnauthenticated ? "Bearer" : "<none>");
    EXPECT_EQ(HeaderOf(error, "Retry-After"),
              code == DomainCode::kStorageUnavailable ? "1" : "<none>");
    EXPECT_EQ(error.message(), "message");
  }
}

TEST(ErrorMappingTest, OnlyAnInvalidFieldNamesAField) {
  EXPECT_EQ(ToApiError(DomainCode::kInvalidField, "bad", "uuid").field(), "uuid");
  EXPECT_EQ(ToApiError(DomainCode::kConflict, "taken", "name").field(), "");
  EXPECT_EQ(http::ErrorBody(ToApiError(DomainCode::kInvalidField, "bad", "uuid")),
            R"({"error":{"code":"invalid_request","message":"bad","field":"uuid"}})");
}

class ErrorMappingAppTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { api_ = new InProcessApi; }
  static void TearDownTestSuite() {
    delete api_;
    api_ = nullptr;
  }
  static App& app() { return api_->app(); }

  // The ApiError MapCurrentException turns `thrown` into.
  template <typename E>
  static http::ApiError Mapped(const E& thrown) {
    try {
      try {
        throw thrown;
      } catch (...) {
        MapCurrentException(app());
      }
    } catch (const http::ApiError& e) {
      return e;
    }
    ADD_FAILURE() << "not mapped to an ApiError";
    return http::ApiError(http::ErrorCode::kInternal, "");
  }

  static InProcessApi* api_;
};

InProcessApi* ErrorMappingAppTest::api_ = nullptr;

TEST_F(ErrorMappingAppTest, DomainErrorsKeepTheirMessageAndField) {
  const http::ApiError invalid = Mapped(ValidationError("deviceName", "deviceName is required"));
  EXPECT_EQ(invalid.status(), 400);
  EXPECT_EQ(invalid.message(), "deviceName is required");
  EXPECT_EQ(invalid.field(), "deviceName");
  const http::ApiError unauthorized = Mapped(Unauthorized("invalid provisioning key"));
  EXPECT_EQ(unauthorized.status(), 401);
  EXPECT_EQ(HeaderOf(unauthorized, "WWW-Authenticate"), "Bearer");
  EXPECT_EQ(Mapped(Forbidden("provisioning key expired")).status(), 403);
  EXPECT_EQ(Mapped(NotFound("no broker with id 9")).status(), 404);
  EXPECT_EQ(Mapped(Conflict("a broker named 'a' already exists")).status(), 409);
  EXPECT_EQ(Mapped(DeviceNotFound("ghost")).status(), 404);
}

TEST_F(ErrorMappingAppTest, StorageUnavailableIsCountedAndNeverQuoted) {
  const auto count = [] {
    const std::string text = app().metrics().Render();
    const std::string series = "\nswitchboard_storage_errors_total ";
    const std::size_t at = text.find(series);
    return at == std::string::npos ? -1 : std::stoi(text.substr(at + series.size()));
  };
  const int before = count();
  ASSERT_GE(before, 0) << app().metrics().Render();
  const http::ApiError error =
      Mapped(StorageUnavailable("database unreachable (host=db password=hunter2)"));
  EXPECT_EQ(error.status(), 503);
  EXPECT_EQ(error.message(), "storage unavailable, retry later");
  EXPECT_EQ(HeaderOf(error, "Retry-After"), "1");
  EXPECT_EQ(count(), before + 1);
}

// A write refused for a storage condition (a full disk) is a 503 like any
// unavailability, and also marks storage unwritable (/readyz `degraded`)
// until a probe write commits; this in-process database takes writes, so
// the first probe, a second later, clears it.
TEST_F(ErrorMappingAppTest, StorageCannotWriteIsA503AndMarksStorageUnwritable) {
  ASSERT_TRUE(app().StorageWritable());
  const http::ApiError error =
      Mapped(StorageCannotWrite("storage cannot write (disk full or read-only); try again"));
  EXPECT_EQ(error.status(), 503);
  EXPECT_EQ(error.message(), "storage unavailable, retry later");
  EXPECT_EQ(HeaderOf(error, "Retry-After"), "1");
  EXPECT_TRUE(api_->log().Contains("WARN storage cannot write"));
  bool writable = false;
  for (int i = 0; i < 100 && !writable; ++i) {
    writable = app().StorageWritable();
    if (!writable) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(writable);
  EXPECT_TRUE(api_->log().Contains("INFO storage takes writes again"));
  EXPECT_NE(app().metrics().Render().find("\nswitchboard_storage_writable 1\n"), std::string::npos);
}

TEST_F(ErrorMappingAppTest, AnythingElsePassesThroughUnchanged) {
  // The HttpServer answers an ApiError as it is and anything else with 500.
  try {
    try {
      throw std::runtime_error("SELECT secret FROM provisioning_keys");
    } catch (...) {
      MapCurrentException(app());
    }
  } catch (const http::ApiError&) {
    ADD_FAILURE() << "a bug became a client error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "SELECT secret FROM provisioning_keys");
  }
  EXPECT_EQ(Mapped(http::ApiError::InvalidRequest("bad", "x")).field(), "x");
}

TEST_F(ErrorMappingAppTest, ARefusalAnswersWithItsTraceAndCountsIt) {
  Resolution rejected;
  rejected.rejected = true;
  rejected.reason = "device is quarantined";
  rejected.trace.push_back({"device", TraceStep::Outcome::kPass, "no assignment", 3});
  rejected.trace.push_back({"quarantine", TraceStep::Outcome::kReject, "quarantined", 4});
  const ChainRefusal refusal = RefusalOf(rejected);
  const http::Response response = RefusalResponse(app(), refusal);
  EXPECT_EQ(response.status(), 403);
  EXPECT_EQ(response.body(),
            R"({"error":{"code":"forbidden","message":"rejected by the resolution chain )"
            R"((plugin/quarantine): device is quarantined"}})");
  std::string resolver = "<none>";
  for (const auto& [name, value] : response.headers()) {
    if (name == "X-Switchboard-Resolver") resolver = value;
  }
  EXPECT_EQ(resolver, "resolved-by=none; trace=device:pass,quarantine:reject");
  EXPECT_NE(app().metrics().Render().find(
                R"(switchboard_resolutions_total{plugin="quarantine",outcome="reject"} 1)"),
            std::string::npos)
      << app().metrics().Render();

  Resolution failed;
  failed.failed = true;
  failed.reason = "plugin/geo: relation \"geo\" does not exist (on_error: fail)";
  failed.trace.push_back({"geo", TraceStep::Outcome::kError, failed.reason, 5});
  const http::Response unavailable = RefusalResponse(app(), RefusalOf(failed));
  EXPECT_EQ(unavailable.status(), 503);
  // Which step failed, never its error text (it may quote the database).
  EXPECT_EQ(unavailable.body(),
            R"j({"error":{"code":"unavailable","message":"no broker: resolution step )j"
            R"j(plugin/geo failed (on_error: fail)"}})j");
  for (const auto& [name, value] : unavailable.headers()) {
    EXPECT_NE(name, "Retry-After");
  }
}

}  // namespace
}  // namespace switchboard
