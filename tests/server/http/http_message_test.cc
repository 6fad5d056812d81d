// Request/Response helpers and the request-head framing check.
#include "http/http_message.h"

#include <gtest/gtest.h>

#include "http/request_head.h"

namespace switchboard::http {
namespace {

using internal::ParseRequestHead;

TEST(PercentDecodeTest, DecodesAndRejectsMalformedEscapes) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("a+b%2B", true), "a b+");
  EXPECT_EQ(PercentDecode("%zz", false), std::nullopt);
  EXPECT_EQ(PercentDecode("%2", false), std::nullopt);
  EXPECT_EQ(PercentDecode("%", false), std::nullopt);
  EXPECT_EQ(PercentDecode("a%00b", false), std::nullopt);
}

TEST(ContentTypeTest, AcceptsJsonWithUtf8CharsetOnly) {
  EXPECT_TRUE(IsJsonContentType("application/json"));
  EXPECT_TRUE(IsJsonContentType("Application/JSON ; charset=UTF-8"));
  EXPECT_TRUE(IsJsonContentType("application/json; charset=\"utf-8\""));
  EXPECT_FALSE(IsJsonContentType("application/json; charset=iso-8859-1"));
  EXPECT_FALSE(IsJsonContentType("application/jsonx"));
  EXPECT_FALSE(IsJsonContentType("text/json"));
  EXPECT_FALSE(IsJsonContentType(""));
}

TEST(RequestTest, HeadersAreCaseInsensitiveAndParamsNamed) {
  Request request("GET", "/devices/abc");
  request.AddHeader("Authorization", "Bearer x").AddPathParam("uuid", "abc").AddQuery("limit", "5");
  EXPECT_EQ(request.Header("authorization"), "Bearer x");
  EXPECT_EQ(request.Header("AUTHORIZATION"), "Bearer x");
  EXPECT_EQ(request.Header("X-Other"), std::nullopt);
  EXPECT_EQ(request.PathParam("uuid"), "abc");
  EXPECT_THROW(request.PathParam("id"), std::out_of_range);
  EXPECT_EQ(request.Query("limit"), "5");
  EXPECT_EQ(request.Query("after"), std::nullopt);
}

TEST(ResponseTest, DropsReservedAndUnsafeHeaders) {
  Response response = Response::Json(200, "{}");
  response.SetHeader("X-Switchboard-Resolver", "device:resolved")
      .SetHeader("Content-Length", "1")
      .SetHeader("connection", "close")
      .SetHeader("X-Evil", "a\r\nSet-Cookie: x=1")
      .SetHeader("X\nBad", "v");
  ASSERT_EQ(response.headers().size(), 1u);
  EXPECT_EQ(response.headers()[0].first, "X-Switchboard-Resolver");
  EXPECT_EQ(response.content_type(), "application/json");
  EXPECT_EQ(Response::NoContent().status(), 204);
}

TEST(RequestHeadTest, ReadsFraming) {
  const auto head = ParseRequestHead(
      "POST /x HTTP/1.1\r\nHost: h\r\ncontent-length:  12 \r\nExpect: 100-Continue\r\n\r\n");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->method, "POST");
  EXPECT_FALSE(head->http10);
  EXPECT_EQ(head->content_length, 12u);
  EXPECT_TRUE(head->expect_continue);
  EXPECT_FALSE(head->chunked);

  const auto chunked = ParseRequestHead("POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_TRUE(chunked);
  EXPECT_TRUE(chunked->chunked);
  EXPECT_TRUE(chunked->http10);
  EXPECT_EQ(chunked->content_length, std::nullopt);

  EXPECT_TRUE(ParseRequestHead("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_TRUE(ParseRequestHead("GET / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n"));
}

// Found by tests/fuzz (fuzz_request_head): a request line that starts with
// a space was framed with an empty method.
TEST(RequestHeadTest, RefusesARequestLineWithoutAMethod) {
  EXPECT_FALSE(ParseRequestHead(" GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_FALSE(ParseRequestHead(" aT / HHost: a\xf3\xf5\r\n"));
}

TEST(RequestHeadTest, RefusesAmbiguousFraming) {
  for (const char* head : {
           "\r\n\r\n",
           "GET / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
           "GET / HTTP/1.1\r\nContent-Length: +3\r\n\r\n",
           "GET / HTTP/1.1\r\nContent-Length: 3 3\r\n\r\n",
           "GET / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n",
           "GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
           "GET / HTTP/1.1\r\nContent-Length:\r\n\r\n",
           "GET / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
           "GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
           "GET / HTTP/1.1\r\nno colon\r\n\r\n",
       }) {
    EXPECT_FALSE(ParseRequestHead(head)) << head;
  }
}

TEST(RequestHeadTest, LabelsOnlyKnownMethods) {
  EXPECT_EQ(internal::MethodLabel("GET"), "GET");
  EXPECT_EQ(internal::MethodLabel("DELETE"), "DELETE");
  EXPECT_EQ(internal::MethodLabel("get"), "OTHER");
  EXPECT_EQ(internal::MethodLabel("BREW"), "OTHER");
}

}  // namespace
}  // namespace switchboard::http
