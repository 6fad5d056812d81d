// The checked JSON layer and error bodies, without a server.
#include "http/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "http/api_error.h"

namespace switchboard::http {
namespace {

// The ApiError ParseObject() or an accessor throws for `body`.
ApiError ErrorFor(const std::string& body, void (*read)(const JsonObject&) = nullptr) {
  try {
    const JsonDocument document = JsonDocument::ParseObject(body);
    if (read != nullptr) read(document.Root());
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for " << body.substr(0, 80);
  return ApiError(ErrorCode::kInternal, "");
}

TEST(JsonDocumentTest, ParsesAnObjectAndReadsTypedFields) {
  const JsonDocument document = JsonDocument::ParseObject(
      R"({"uuid":"d-1","port":8883,"tls":true,"gone":null,"tags":["a","b"],"mqtt":{"keepAlive":60}})");
  const JsonObject root = document.Root();
  EXPECT_EQ(root.RequiredString("uuid"), "d-1");
  EXPECT_EQ(root.RequiredInt("port", 1, 65535), 8883);
  EXPECT_EQ(root.OptionalBool("tls"), true);
  EXPECT_TRUE(root.Has("gone"));
  EXPECT_TRUE(root.IsNull("gone"));
  EXPECT_FALSE(root.Has("absent"));
  EXPECT_FALSE(root.IsNull("absent"));
  EXPECT_EQ(root.OptionalString("gone"), std::nullopt);
  EXPECT_EQ(root.OptionalInt("absent"), std::nullopt);
  EXPECT_EQ(root.OptionalStringArray("tags"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(root.RequiredObject("mqtt").RequiredInt("keepAlive"), 60);
}

TEST(JsonDocumentTest, RejectsWhatIsNotOneObject) {
  for (const std::string body :
       {"", "   ", "[]", "\"text\"", "42", "null", R"({"a":1} {"b":2})", R"({"a":1}x)",
        R"({"a":1,})", R"({'a':1})", R"({"a":01})", R"({"a":1e999})", R"({"a":NaN})"}) {
    const ApiError e = ErrorFor(body);
    EXPECT_EQ(e.status(), 400) << body;
    EXPECT_EQ(e.code(), ErrorCode::kInvalidRequest) << body;
  }
}

TEST(JsonDocumentTest, NulByteCannotHideTrailingGarbage) {
  EXPECT_EQ(ErrorFor(std::string("{}\0garbage", 10)).status(), 400);
}

TEST(JsonDocumentTest, CapsNestingDepthWithoutRecursing) {
  const auto nested = [](int depth) {
    return std::string(depth - 1, '[').insert(0, R"({"a":)") + std::string(depth - 1, ']') + "}";
  };
  EXPECT_NO_THROW(JsonDocument::ParseObject(nested(kDefaultMaxJsonDepth)));
  EXPECT_NE(ErrorFor(nested(kDefaultMaxJsonDepth + 1)).message().find("deeper than 32"),
            std::string::npos);
  // Far deeper than any stack would survive with a recursive parser.
  EXPECT_EQ(ErrorFor(nested(200000)).status(), 400);
  EXPECT_EQ(ErrorFor(std::string(100000, '{')).status(), 400);
}

TEST(JsonDocumentTest, RejectsInvalidUtf8AndLoneSurrogates) {
  for (const std::string body :
       {"{\"a\":\"\xff\"}", "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"\xff\":1}",
        R"({"a":"\udc00"})", R"({"a":"\ud800"})", R"({"a":"\ud800x"})"}) {
    EXPECT_EQ(ErrorFor(body).status(), 400) << body;
  }
  EXPECT_EQ(
      JsonDocument::ParseObject(R"({"a":"\ud83d\ude00 caf\u00e9"})").Root().RequiredString("a"),
      "\xF0\x9F\x98\x80 caf\xC3\xA9");
}

TEST(JsonDocumentTest, RejectsDuplicateMembersAtAnyDepth) {
  EXPECT_EQ(ErrorFor(R"({"a":1,"a":2})").field(), "a");
  EXPECT_EQ(ErrorFor(R"({"x":{"b":1,"b":1}})").status(), 400);
  EXPECT_EQ(ErrorFor(R"({"x":[{"c":1,"c":2}]})").status(), 400);
}

TEST(JsonObjectTest, WrongTypesNameTheField) {
  const ApiError e =
      ErrorFor(R"({"uuid":5})", [](const JsonObject& o) { o.RequiredString("uuid"); });
  EXPECT_EQ(e.field(), "uuid");
  EXPECT_EQ(e.message(), "field 'uuid' must be a string");

  EXPECT_EQ(ErrorFor(R"({})", [](const JsonObject& o) { o.RequiredString("uuid"); }).message(),
            "field 'uuid' is required");
  EXPECT_EQ(ErrorFor(R"({"n":"1"})", [](const JsonObject& o) { o.OptionalInt("n"); }).message(),
            "field 'n' must be an integer");
  EXPECT_EQ(ErrorFor(R"({"n":1.0})", [](const JsonObject& o) { o.OptionalInt("n"); }).field(), "n");
  EXPECT_EQ(ErrorFor(R"({"port":0})", [](const JsonObject& o) { o.RequiredInt("port", 1, 65535); })
                .message(),
            "field 'port' must be an integer between 1 and 65535");
  EXPECT_EQ(
      ErrorFor(R"({"n":18446744073709551615})", [](const JsonObject& o) { o.OptionalInt("n"); })
          .field(),
      "n");
  EXPECT_EQ(ErrorFor(R"({"b":1})", [](const JsonObject& o) { o.OptionalBool("b"); }).message(),
            "field 'b' must be a boolean");
  EXPECT_EQ(ErrorFor(R"({"m":{"port":"x"}})",
                     [](const JsonObject& o) { o.RequiredObject("m").OptionalInt("port"); })
                .field(),
            "m.port");
  EXPECT_EQ(
      ErrorFor(R"({"t":["a",1]})", [](const JsonObject& o) { o.OptionalStringArray("t"); }).field(),
      "t");
  EXPECT_EQ(
      ErrorFor(R"({"s":"a\u0000b"})", [](const JsonObject& o) { o.OptionalString("s"); }).message(),
      "field 's' must not contain NUL characters");
  EXPECT_EQ(
      ErrorFor(R"({"ok":1,"bad":2})", [](const JsonObject& o) { o.RejectUnknownFields({"ok"}); })
          .field(),
      "bad");
}

TEST(JsonWriterTest, BuildsCompactEscapedJson) {
  JsonWriter json;
  json.StartObject()
      .Field("s", "quote\" backslash\\ newline\n tab\t ctl\x01")
      .Field("n", 7)
      .Field("u", 18446744073709551615ull)
      .Field("neg", -3)
      .Field("b", false)
      .Field("d", 0.5)
      .Field("none", std::optional<std::string>())
      .Field("some", std::optional<std::int64_t>(5))
      .Key("list")
      .StartArray()
      .String("x")
      .Null()
      .EndArray()
      .Key("raw")
      .RawValue(R"({"k":[1]})")
      .EndObject();
  EXPECT_EQ(json.Take(),
            R"({"s":"quote\" backslash\\ newline\n tab\t ctl\u0001","n":7,)"
            R"("u":18446744073709551615,"neg":-3,"b":false,"d":0.5,"none":null,"some":5,)"
            R"("list":["x",null],"raw":{"k":[1]}})");
}

TEST(JsonWriterTest, ReplacesInvalidUtf8AndRefusesNaN) {
  JsonWriter json;
  json.StartObject().Field("k\xff", "a\xc3(b").EndObject();
  EXPECT_EQ(json.Take(), "{\"k\xEF\xBF\xBD\":\"a\xEF\xBF\xBD(b\"}");
  JsonWriter nan;
  nan.StartArray();
  EXPECT_THROW(nan.Double(std::nan("")), std::invalid_argument);
}

TEST(Utf8Test, ValidatesPerTheStandard) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF"));
  EXPECT_FALSE(IsValidUtf8("\xC0\x80"));          // overlong NUL
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));          // truncated
  EXPECT_EQ(SanitizeUtf8("a\xE2\x82"), "a\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(ApiErrorTest, BodiesHaveTheSpecShape) {
  EXPECT_EQ(
      ErrorBody(ApiError::InvalidRequest("field 'uuid' is required", "uuid")),
      R"({"error":{"code":"invalid_request","message":"field 'uuid' is required","field":"uuid"}})");
  EXPECT_EQ(ErrorBody(ApiError::NotFound("no such device")),
            R"({"error":{"code":"not_found","message":"no such device"}})");
  EXPECT_EQ(ErrorBody(ErrorCode::kConflict, "say \"hi\""),
            R"({"error":{"code":"conflict","message":"say \"hi\""}})");
  // An internal error never carries its cause.
  const ApiError internal(ErrorCode::kInternal, "SELECT secret", "password");
  EXPECT_EQ(ErrorBody(internal), R"({"error":{"code":"internal","message":"internal error"}})");
  EXPECT_EQ(ErrorBody(ErrorCode::kInternal, "SELECT secret"),
            R"({"error":{"code":"internal","message":"internal error"}})");
}

TEST(ApiErrorTest, CodesMapToStatuses) {
  const std::pair<ErrorCode, int> expected[] = {
      {ErrorCode::kInvalidRequest, 400},   {ErrorCode::kUnauthorized, 401},
      {ErrorCode::kForbidden, 403},        {ErrorCode::kNotFound, 404},
      {ErrorCode::kMethodNotAllowed, 405}, {ErrorCode::kConflict, 409},
      {ErrorCode::kPayloadTooLarge, 413},  {ErrorCode::kUnsupportedMediaType, 415},
      {ErrorCode::kTooManyRequests, 429},  {ErrorCode::kInternal, 500},
      {ErrorCode::kUnavailable, 503}};
  for (const auto& [code, status] : expected) EXPECT_EQ(StatusOf(code), status) << NameOf(code);
  EXPECT_EQ(NameOf(ErrorCode::kUnsupportedMediaType), "unsupported_media_type");
  EXPECT_EQ(NameOf(ErrorCode::kTooManyRequests), "too_many_requests");
  const ApiError e = ApiError::Unavailable("no broker").WithHeader("Retry-After", "5");
  ASSERT_EQ(e.headers().size(), 1u);
  EXPECT_EQ(e.headers()[0].second, "5");
}

}  // namespace
}  // namespace switchboard::http
