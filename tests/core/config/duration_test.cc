#include "config/duration.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace switchboard {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

// The error ParseDuration gives for `text`; fails the test when it parses.
std::string ErrorOf(const std::string& text) {
  std::string why;
  const auto value = ParseDuration(text, &why);
  EXPECT_FALSE(value.has_value()) << text << " parsed as " << value->count() << "ms";
  EXPECT_FALSE(why.empty()) << text;
  return why;
}

milliseconds Parsed(const std::string& text) {
  std::string why;
  const auto value = ParseDuration(text, &why);
  EXPECT_TRUE(value.has_value()) << text << ": " << why;
  return value.value_or(milliseconds(-1));
}

TEST(DurationTest, EachUnitOnItsOwn) {
  EXPECT_EQ(Parsed("500ms"), milliseconds(500));
  EXPECT_EQ(Parsed("10s"), milliseconds(10'000));
  EXPECT_EQ(Parsed("5m"), milliseconds(300'000));
  EXPECT_EQ(Parsed("2h"), milliseconds(7'200'000));
  EXPECT_EQ(Parsed("0s"), milliseconds(0));
  EXPECT_EQ(Parsed("0ms"), milliseconds(0));
  EXPECT_EQ(Parsed("007s"), milliseconds(7'000));
}

TEST(DurationTest, PartsFromTheLargestUnitToTheSmallest) {
  EXPECT_EQ(Parsed("1m30s"), milliseconds(90'000));
  EXPECT_EQ(Parsed("1h30m"), milliseconds(5'400'000));
  EXPECT_EQ(Parsed("2s500ms"), milliseconds(2'500));
  EXPECT_EQ(Parsed("1h1m1s1ms"), milliseconds(3'661'001));
  EXPECT_EQ(Parsed("1h5s"), milliseconds(3'605'000));  // a unit may be left out
  // A part larger than the next unit is read as written, not refused.
  EXPECT_EQ(Parsed("90s"), milliseconds(90'000));
  EXPECT_EQ(Parsed("1500ms"), milliseconds(1'500));
}

TEST(DurationTest, BareNumberIsRefusedWithTheUnitsToChooseFrom) {
  EXPECT_EQ(ErrorOf("10"),
            "must have a unit (ms, s, m, h), e.g. 10s or 500ms; got the bare "
            "number '10'");
  EXPECT_THAT(ErrorOf("0"), HasSubstr("bare number '0'"));
}

TEST(DurationTest, UnknownUnitsAreNamed) {
  EXPECT_EQ(ErrorOf("10sec"), "has an unknown unit 'sec' in '10sec' (units: ms, s, m, h)");
  EXPECT_EQ(ErrorOf("1d"), "has an unknown unit 'd' in '1d' (units: ms, s, m, h)");
  EXPECT_EQ(ErrorOf("10S"), "has an unknown unit 'S' in '10S' (units: ms, s, m, h)");
  EXPECT_EQ(ErrorOf("5us"), "has an unknown unit 'us' in '5us' (units: ms, s, m, h)");
  EXPECT_THAT(ErrorOf("1m30sec"), HasSubstr("unknown unit 'sec'"));
}

TEST(DurationTest, FractionsSignsAndSpacesAreRefused) {
  EXPECT_EQ(ErrorOf("1.5s"),
            "must be a whole number of a unit, without a fraction (write 1500ms, not 1.5s); got "
            "'1.5s'");
  EXPECT_THAT(ErrorOf("0,5s"), HasSubstr("without a fraction"));
  EXPECT_EQ(ErrorOf("-5s"), "must not be negative, got '-5s'");
  EXPECT_THAT(ErrorOf("+5s"), HasSubstr("must be a whole number followed by a unit"));
  EXPECT_EQ(ErrorOf("10 s"), "must be written without spaces, e.g. 10s or 500ms; got '10 s'");
  EXPECT_THAT(ErrorOf(" 10s"), HasSubstr("without spaces"));
  EXPECT_THAT(ErrorOf("10s\n"), HasSubstr("without spaces"));
}

TEST(DurationTest, MalformedTextSaysWhatIsWrong) {
  EXPECT_EQ(ErrorOf(""),
            "must be a duration with a unit (ms, s, m, h), e.g. 10s or 500ms; got an empty value");
  EXPECT_THAT(ErrorOf("s"), HasSubstr("must be a whole number followed by a unit"));
  EXPECT_THAT(ErrorOf("ten seconds"), HasSubstr("without spaces"));
  EXPECT_EQ(ErrorOf("10%"),
            "is not a duration: a unit (ms, s, m, h) must follow '10', found '%' in '10%'");
  EXPECT_THAT(ErrorOf("1m30"), HasSubstr("must follow '30', found nothing in '1m30'"));
  EXPECT_THAT(ErrorOf("10s_"), HasSubstr("must be a whole number followed by a unit"));
}

TEST(DurationTest, PartsOutOfOrderOrRepeatedAreRefused) {
  const std::string order = "must list its parts from the largest unit to the smallest";
  EXPECT_THAT(ErrorOf("30s1m"), HasSubstr(order));
  EXPECT_THAT(ErrorOf("1s1s"), HasSubstr(order));
  EXPECT_THAT(ErrorOf("500ms1s"), HasSubstr(order));
}

TEST(DurationTest, ValuesBeyondSixtyFourBitsAreTooLargeNotWrapped) {
  // 2^63 - 1 ms is the largest value; one more overflows.
  EXPECT_EQ(Parsed("9223372036854775807ms"), milliseconds(INT64_MAX));
  EXPECT_EQ(ErrorOf("9223372036854775808ms"), "is too large: '9223372036854775808ms'");
  EXPECT_EQ(Parsed("2562047788015h"), milliseconds(2'562'047'788'015LL * 3'600'000));
  EXPECT_THAT(ErrorOf("2562047788016h"), HasSubstr("too large"));  // overflows only in ms
  EXPECT_THAT(ErrorOf("99999999999999999999999s"), HasSubstr("too large"));
  EXPECT_THAT(ErrorOf("2562047788015h30m"), HasSubstr("too large"));  // only the sum overflows
}

TEST(DurationTest, FormatIsTheShortestTextThatParsesBack) {
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(100)), "100ms");
  EXPECT_EQ(FormatDuration(milliseconds(1'000)), "1s");
  EXPECT_EQ(FormatDuration(milliseconds(1'500)), "1s500ms");
  EXPECT_EQ(FormatDuration(milliseconds(90'000)), "1m30s");
  EXPECT_EQ(FormatDuration(milliseconds(600'000)), "10m");
  EXPECT_EQ(FormatDuration(milliseconds(3'600'000)), "1h");
  EXPECT_EQ(FormatDuration(milliseconds(3'661'001)), "1h1m1s1ms");
  for (long long ms : {1LL, 999LL, 59'999LL, 86'400'000LL, 123'456'789LL}) {
    EXPECT_EQ(Parsed(FormatDuration(milliseconds(ms))), milliseconds(ms)) << ms;
  }
}

}  // namespace
}  // namespace switchboard
