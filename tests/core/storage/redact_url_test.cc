// Every way libpq accepts a password, masked; nothing else changed.
#include "storage/redact_url.h"

#include <gtest/gtest.h>

namespace switchboard {
namespace {

TEST(RedactUrlTest, KeyValueFormsLibpqAccepts) {
  const std::pair<const char*, const char*> cases[] = {
      {"postgresql://host=db port=5432 password=S3cret user=sb",
       "postgresql://host=db port=5432 password=*** user=sb"},
      {"postgresql://host=db password = S3cret user=sb",
       "postgresql://host=db password = *** user=sb"},
      {"postgresql://host=db password =S3cret", "postgresql://host=db password =***"},
      {"postgresql://password='A B' host=db", "postgresql://password=*** host=db"},
      {R"(postgresql://password='it\'s S3cret' host=db)", "postgresql://password=*** host=db"},
      {R"(postgresql://password=S3\ cret host=db)", "postgresql://password=*** host=db"},
      {"postgresql://host=db\tpassword=S3cret\tdbname=x",
       "postgresql://host=db\tpassword=***\tdbname=x"},
      {"postgresql://PASSWORD=S3cret", "postgresql://PASSWORD=***"},
      {"postgresql://password=S3cret password=Other", "postgresql://password=*** password=***"},
      {"postgresql://host=db user=sb", "postgresql://host=db user=sb"},
      {"postgresql://host='my db' password=''", "postgresql://host='my db' password=***"},
  };
  for (const auto& [url, redacted] : cases) EXPECT_EQ(RedactDatabaseUrl(url), redacted) << url;
}

TEST(RedactUrlTest, UriForms) {
  const std::pair<const char*, const char*> cases[] = {
      {"postgresql://postgresql://sb:S3cret@db:5432/switchboard",
       "postgresql://postgresql://sb:***@db:5432/switchboard"},
      {"postgresql://postgres://sb:S3cret@db/x?sslmode=require&password=Other",
       "postgresql://postgres://sb:***@db/x?sslmode=require&password=***"},
      {"postgresql://postgresql://db/x?pass%77ord=Other&user=sb",
       "postgresql://postgresql://db/x?pass%77ord=***&user=sb"},
      {"postgresql://sb:S3cret@db/switchboard", "postgresql://sb:***@db/switchboard"},
      {"postgresql://sb:S3c=ret@db/switchboard", "postgresql://sb:***@db/switchboard"},
      {"postgresql://sb@db/switchboard", "postgresql://sb@db/switchboard"},
      {"postgresql://sb:S3cret@db/x?password=Other", "postgresql://sb:***@db/x?password=***"},
  };
  for (const auto& [url, redacted] : cases) EXPECT_EQ(RedactDatabaseUrl(url), redacted) << url;
}

TEST(RedactUrlTest, WhatLibpqCannotParseIsMaskedWhole) {
  for (const char* url : {"postgresql://host=db password='S3c ret", "postgresql://host=db S3cret",
                          "postgresql://user=sb host"}) {
    const std::string redacted = RedactDatabaseUrl(url);
    EXPECT_EQ(redacted, "postgresql://***") << url;
  }
}

TEST(RedactUrlTest, SqliteIsUnchanged) {
  EXPECT_EQ(RedactDatabaseUrl("sqlite3://db=var/switchboard.db timeout=5"),
            "sqlite3://db=var/switchboard.db timeout=5");
}

}  // namespace
}  // namespace switchboard
