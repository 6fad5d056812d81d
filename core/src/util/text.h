// Text helpers shared by validation and configuration. Thread-safe, no state.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard {

// Number of Unicode code points in `text` (what SQLite's and PostgreSQL's
// length() count), or std::nullopt when `text` is not valid UTF-8 (overlong
// forms, surrogates and values past U+10FFFF included).
std::optional<std::size_t> Utf8Length(std::string_view text);

// ASCII lowercase copy; other bytes unchanged.
std::string ToLowerAscii(std::string_view text);

}  // namespace switchboard
