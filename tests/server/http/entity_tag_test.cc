// If-None-Match against the fetch's strong ETag (http/entity_tag.h), as
// RFC 9110 §13.1.2 says: `*`, lists, weak comparison, malformed members.
#include "http/entity_tag.h"

#include <gtest/gtest.h>

namespace switchboard::http {
namespace {

const std::string kTag = StrongEntityTag("0123abcd");

TEST(EntityTagTest, StrongTagIsQuoted) { EXPECT_EQ(kTag, "\"0123abcd\""); }

TEST(EntityTagTest, MatchesTheTagStarListsAndWeakForms) {
  for (const char* header :
       {"\"0123abcd\"", "*", " * ", "W/\"0123abcd\"", "\"x\", \"0123abcd\"", "\"x\",\"0123abcd\"",
        "W/\"x\" ,  W/\"0123abcd\"", "\"a,b\", \"0123abcd\"", "junk, \"0123abcd\""}) {
    EXPECT_TRUE(IfNoneMatchMatches(header, kTag)) << header;
  }
}

TEST(EntityTagTest, AnythingElseDoesNotMatch) {
  for (const char* header :
       {"", " ", ",", "\"other\"", "0123abcd", "\"0123abcd", "0123abcd\"", "\"0123abc\"",
        "\"0123abcdX\"", "w/\"0123abcd\"", "W/0123abcd", "**", "\"*\"", "\"a,b\""}) {
    EXPECT_FALSE(IfNoneMatchMatches(header, kTag)) << header;
  }
}

}  // namespace
}  // namespace switchboard::http
