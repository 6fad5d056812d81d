// What a test does when a tool it needs is not installed: one rule for the
// whole suite.
//
// On a developer's machine the test is skipped, with a message that says what
// is missing. Under CI=true it fails instead, so that a CI run can never pass
// a whole backend or suite by skipping it. The tools concerned: a PostgreSQL
// server (SWITCHBOARD_TEST_POSTGRES_URL, which scripts/test sets), Mosquitto
// and its command-line tools, curl, openssl, sqlite3 (scripts/setup installs
// them all).
//
// Typical use, where GTEST_SKIP() would go (a test body or SetUp):
//   if (!testing::ToolOnPath("curl")) SWITCHBOARD_MISSING_TOOL("curl is not installed");
// A derived fixture's SetUp that calls a base SetUp using it checks
// `IsSkipped() || HasFatalFailure()` before going on.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace switchboard::testing {

// True when a missing tool fails the test: the environment variable CI is
// `true` (in any case) or `1`. CI services set CI=true; so does .ci/run.
// Read on each call.
bool MissingToolFails();

// True when `name` is an executable file in one of the directories of PATH.
bool ToolOnPath(const std::string& name);

}  // namespace switchboard::testing

// Skips the current test, or fails it when MissingToolFails(), with `what`
// (a std::string or string literal) as the message. Returns from the calling
// function, like GTEST_SKIP(), so it may only be used in a function returning
// void.
#define SWITCHBOARD_MISSING_TOOL(what)                                                      \
  do {                                                                                      \
    if (::switchboard::testing::MissingToolFails()) {                                       \
      GTEST_FAIL() << (what) << " (CI=true: a missing tool fails the run, never skips it)"; \
    } else {                                                                                \
      GTEST_SKIP() << (what);                                                               \
    }                                                                                       \
  } while (false)
