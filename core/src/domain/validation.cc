#include "domain/validation.h"

#include "domain/domain_errors.h"
#include "util/text.h"

namespace switchboard {

void CheckText(const std::string& field, const std::string& value, std::size_t min_chars,
               std::size_t max_chars, TextKind kind) {
  const auto length = Utf8Length(value);
  if (!length) throw ValidationError(field, field + " must be valid UTF-8");
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) throw ValidationError(field, field + " must not contain NUL characters");
    const bool control = c < 0x20 || c == 0x7F;
    if (!control) continue;
    if (kind == TextKind::kSingleLine || (c != '\t' && c != '\n' && c != '\r')) {
      throw ValidationError(field, field + " must not contain control characters");
    }
  }
  if (*length < min_chars || *length > max_chars) {
    if (min_chars > 0 && value.empty()) {
      throw ValidationError(field, field + " must not be empty");
    }
    throw ValidationError(field, field + " must be " + std::to_string(min_chars) + " to " +
                                     std::to_string(max_chars) + " characters long");
  }
}

void CheckRange(const std::string& field, std::int64_t value, std::int64_t min, std::int64_t max) {
  if (value < min || value > max) {
    throw ValidationError(
        field, field + " must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
}

}  // namespace switchboard
