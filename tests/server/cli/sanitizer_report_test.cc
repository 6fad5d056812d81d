// SanitizerReport (tests/support/process.h): how the process helpers notice
// that a sanitized `switchboard serve` or agent child found a bug while the
// test itself passed. Here, because the CLI tests are the helpers' main user.
#include <gtest/gtest.h>

#include <string>

#include "process.h"

namespace switchboard {
namespace {

using testing::SanitizerReport;

constexpr char kServeLog[] =
    "2026-12-05T09:00:00Z INFO switchboard: listening on 127.0.0.1:4002\n"
    "2026-12-05T09:00:01Z WARN storage: error while reading: runtime is short\n";

TEST(SanitizerReportTest, AnOrdinaryLogHasNone) { EXPECT_EQ(SanitizerReport(kServeLog), ""); }

TEST(SanitizerReportTest, EachRuntimesFirstLineIsFound) {
  for (const std::string first_line :
       {"==4711==ERROR: AddressSanitizer: heap-use-after-free on address 0x6020",
        "==4711==ERROR: LeakSanitizer: detected memory leaks",
        "WARNING: ThreadSanitizer: data race (pid=4711)",
        "core/src/util/text.cc:42:7: runtime error: signed integer overflow"}) {
    const std::string report =
        SanitizerReport(std::string(kServeLog) + first_line + "\n    #0 0x1 in f()\n");
    EXPECT_EQ(report.rfind(first_line, 0), 0u) << first_line << " -> " << report;
    EXPECT_NE(report.find("#0 0x1 in f()"), std::string::npos) << first_line;
  }
}

TEST(SanitizerReportTest, TheFirstOfSeveralReportsIsShownAndCut) {
  const std::string log = std::string(kServeLog) + "WARNING: ThreadSanitizer: data race\n" +
                          std::string(10000, 'x') + "\n==1==ERROR: AddressSanitizer: SEGV\n";
  const std::string report = SanitizerReport(log);
  EXPECT_EQ(report.rfind("WARNING: ThreadSanitizer: data race", 0), 0u);
  EXPECT_EQ(report.size(), 4096u);
}

}  // namespace
}  // namespace switchboard
