// Which X-Request-Id values are used as sent, and what is made up instead.
#include "http/request_id.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace switchboard::http {
namespace {

TEST(RequestIdTest, WellFormedIdsAreUsedAsSent) {
  EXPECT_EQ(RequestIdFor("3f2b8c1e-9a4d-4e6b-8f0a-1c2d3e4f5a6b"),
            "3f2b8c1e-9a4d-4e6b-8f0a-1c2d3e4f5a6b");
  EXPECT_EQ(RequestIdFor("abc_DEF.9:x"), "abc_DEF.9:x");
  EXPECT_EQ(RequestIdFor("0123456789abcdef0123456789abcdef"), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(RequestIdFor("a"), "a");
  const std::string longest(kMaxRequestIdLength, 'x');
  EXPECT_EQ(RequestIdFor(longest), longest);
}

TEST(RequestIdTest, MalformedIdsAreReplacedByAFreshOne) {
  for (const std::string& bad :
       {std::string(), std::string(kMaxRequestIdLength + 1, 'x'), std::string("two words"),
        std::string("quote\""), std::string("key=value"), std::string("new\nline"),
        std::string("nul\0byte", 8), std::string("caf\xc3\xa9"), std::string("semi;colon"),
        std::string("Root=1")}) {
    const std::string id = RequestIdFor(bad);
    EXPECT_NE(id, bad);
    EXPECT_EQ(id.size(), 32u) << id;
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
  }
  const std::string absent = RequestIdFor(std::nullopt);
  EXPECT_EQ(absent.size(), 32u);
}

TEST(RequestIdTest, FreshIdsAreDistinctAndWellFormed) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = NewRequestId();
    EXPECT_TRUE(IsWellFormedRequestId(id)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace switchboard::http
