// If-None-Match and ETag handling of the config refresh (etag.h).
#include "etag.h"

#include <gtest/gtest.h>

namespace switchboard::agent {
namespace {

TEST(EtagTest, IfNoneMatchQuotesTheVersion) {
  EXPECT_EQ(IfNoneMatchFor("3a7bd3e2"), "\"3a7bd3e2\"");
  EXPECT_EQ(IfNoneMatchFor("sha256:AbC-_.~"), "\"sha256:AbC-_.~\"");
}

TEST(EtagTest, NothingIsSentForAMissingOrInvalidVersion) {
  EXPECT_EQ(IfNoneMatchFor(""), "");
  EXPECT_EQ(IfNoneMatchFor("has space"), "");
  EXPECT_EQ(IfNoneMatchFor("quote\"inside"), "");
  EXPECT_EQ(IfNoneMatchFor("new\nline"), "");
  EXPECT_EQ(IfNoneMatchFor("caf\xc3\xa9"), "");
  EXPECT_EQ(IfNoneMatchFor(std::string(300, 'a')), "");
}

TEST(EtagTest, EntityTagOfStrongAndWeakTags) {
  EXPECT_EQ(EntityTagOf("\"abc\""), "abc");
  EXPECT_EQ(EntityTagOf("W/\"abc\""), "abc");
  EXPECT_EQ(EntityTagOf("  \"abc\"\t"), "abc");
}

TEST(EtagTest, MalformedEtagsGiveNothing) {
  EXPECT_EQ(EntityTagOf(""), "");
  EXPECT_EQ(EntityTagOf("abc"), "");
  EXPECT_EQ(EntityTagOf("\"abc"), "");
  EXPECT_EQ(EntityTagOf("\"\""), "");
  EXPECT_EQ(EntityTagOf("\"a\", \"b\""), "");
  EXPECT_EQ(EntityTagOf("w/\"abc\""), "") << "the weak prefix is case-sensitive";
  EXPECT_EQ(EntityTagOf("\"a b\""), "");
}

TEST(EtagTest, ATagRoundTripsThroughIfNoneMatch) {
  const std::string version = "v1-2f9c";
  EXPECT_EQ(EntityTagOf(IfNoneMatchFor(version)), version);
}

TEST(EtagTest, ClassifyFetch) {
  EXPECT_EQ(ClassifyFetch(200, ""), FetchVerdict::kChanged);
  EXPECT_EQ(ClassifyFetch(200, "\"v\""), FetchVerdict::kChanged);
  EXPECT_EQ(ClassifyFetch(304, "\"v\""), FetchVerdict::kNotModified);
  EXPECT_EQ(ClassifyFetch(304, ""), FetchVerdict::kRetry) << "a 304 nobody asked for";
  for (int status : {0, 204, 301, 400, 401, 403, 404, 412, 500, 503}) {
    EXPECT_EQ(ClassifyFetch(status, "\"v\""), FetchVerdict::kRetry) << status;
  }
}

}  // namespace
}  // namespace switchboard::agent
