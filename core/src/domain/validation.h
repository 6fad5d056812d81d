// Field validation for the domain services: every check throws
// ValidationError (domain_errors.h) naming the field as the API's JSON
// spells it. Thread-safe, no state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace switchboard {

// A field of a partial update that may also be cleared:
//   std::nullopt           the request did not mention it: leave it alone
//   std::optional<T>{}     set the column to NULL
//   a value                set it
template <typename T>
using NullableUpdate = std::optional<std::optional<T>>;

enum class TextKind {
  kSingleLine,  // names, ids, hosts: no control characters at all
  kMultiLine,   // descriptions, PEM: tabs and line breaks allowed
};

// Throws ValidationError(field) unless `value` is valid UTF-8 without NUL (or
// any control character for kSingleLine) and has min..max code points.
void CheckText(const std::string& field, const std::string& value, std::size_t min_chars,
               std::size_t max_chars, TextKind kind = TextKind::kSingleLine);

// Throws ValidationError(field) unless min <= value <= max.
void CheckRange(const std::string& field, std::int64_t value, std::int64_t min, std::int64_t max);

}  // namespace switchboard
