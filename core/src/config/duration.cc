#include "config/duration.h"

#include <array>
#include <cctype>
#include <cstdint>
#include <initializer_list>

namespace switchboard {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t millis;
};

// Largest first: the order parts must follow.
constexpr std::array<Unit, 4> kUnits = {{{"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}}};

constexpr std::string_view kUnitNames = "(ms, s, m, h)";
constexpr std::string_view kExample = "e.g. 10s or 500ms";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

// Messages are appended part by part: GCC 12 at -O3 reports a false
// -Wrestrict inside operator+(const char*, std::string&&).
std::string Join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) out.append(part);
  return out;
}

}  // namespace

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text, std::string* why) {
  if (text.empty()) {
    *why = Join(
        {"must be a duration with a unit ", kUnitNames, ", ", kExample, "; got an empty value"});
    return std::nullopt;
  }
  bool all_digits = true;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      *why = Join({"must be written without spaces, ", kExample, "; got '", text, "'"});
      return std::nullopt;
    }
    all_digits = all_digits && IsDigit(c);
  }
  if (all_digits) {
    *why = Join(
        {"must have a unit ", kUnitNames, ", ", kExample, "; got the bare number '", text, "'"});
    return std::nullopt;
  }
  if (text.front() == '-') {
    *why = Join({"must not be negative, got '", text, "'"});
    return std::nullopt;
  }

  std::int64_t total = 0;
  std::size_t next_unit = 0;  // index into kUnits of the largest unit still allowed
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t digits_start = pos;
    std::int64_t count = 0;
    bool too_large = false;
    while (pos < text.size() && IsDigit(text[pos])) {
      too_large = too_large || __builtin_mul_overflow(count, 10, &count) ||
                  __builtin_add_overflow(count, text[pos] - '0', &count);
      ++pos;
    }
    if (pos == digits_start) {
      *why = Join({"must be a whole number followed by a unit ", kUnitNames, ", ", kExample,
                   "; got '", text, "'"});
      return std::nullopt;
    }
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      *why =
          Join({"must be a whole number of a unit, without a fraction (write 1500ms, not 1.5s); "
                "got '",
                text, "'"});
      return std::nullopt;
    }
    const std::size_t unit_start = pos;
    while (pos < text.size() && IsLetter(text[pos])) ++pos;
    const std::string_view unit_name = text.substr(unit_start, pos - unit_start);
    if (unit_name.empty()) {
      const std::string_view number = text.substr(digits_start, unit_start - digits_start);
      *why = pos < text.size() ? Join({"is not a duration: a unit ", kUnitNames, " must follow '",
                                       number, "', found '", text.substr(pos), "' in '", text, "'"})
                               : Join({"is not a duration: a unit ", kUnitNames, " must follow '",
                                       number, "', found nothing in '", text, "'"});
      return std::nullopt;
    }
    std::size_t unit = 0;
    while (unit < kUnits.size() && kUnits[unit].name != unit_name) ++unit;
    if (unit == kUnits.size()) {
      *why = Join({"has an unknown unit '", unit_name, "' in '", text, "' (units: ms, s, m, h)"});
      return std::nullopt;
    }
    if (unit < next_unit) {
      *why =
          Join({"must list its parts from the largest unit to the smallest, each unit once "
                "(e.g. 1m30s); got '",
                text, "'"});
      return std::nullopt;
    }
    next_unit = unit + 1;
    std::int64_t part = 0;
    if (too_large || __builtin_mul_overflow(count, kUnits[unit].millis, &part) ||
        __builtin_add_overflow(total, part, &total)) {
      *why = Join({"is too large: '", text, "'"});
      return std::nullopt;
    }
  }
  return std::chrono::milliseconds(total);
}

std::string FormatDuration(std::chrono::milliseconds duration) {
  std::int64_t left = duration.count();
  if (left == 0) return "0s";
  std::string out;
  for (const Unit& unit : kUnits) {
    const std::int64_t count = left / unit.millis;
    if (count == 0) continue;
    out += std::to_string(count);
    out += unit.name;
    left -= count * unit.millis;
  }
  return out;
}

}  // namespace switchboard
