// JSON for request and response bodies, over RapidJSON 1.1.0.
//
// Reading: JsonDocument::ParseObject() accepts one JSON object and nothing
// else, and JsonObject reads its members through checked accessors. Every
// problem (malformed text, trailing bytes, invalid UTF-8, nesting deeper than
// the limit, duplicate member names, a wrong type, a missing member) throws
// ApiError 400 `invalid_request` naming the field. RapidJSON's own getters
// assert() on a wrong type, which is undefined behaviour in release builds:
// code outside json.cc reading client input should use these accessors, not
// value() directly.
//
// Writing: JsonWriter builds a compact document with correct escaping.
//
// Thread-safety: a JsonDocument, its JsonObject views and a JsonWriter belong
// to one thread at a time. Parsing itself is reentrant.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::http {

// Default cap on nesting (objects and arrays, the root object counts as 1).
inline constexpr int kDefaultMaxJsonDepth = 32;

class JsonObject;

// Owns a parsed request body whose root is an object. Movable, not copyable.
class JsonDocument {
 public:
  // Parses `text` with kParseIterativeFlag | kParseValidateEncodingFlag (no
  // recursion, so deep input cannot overflow the stack; no StopWhenDone, so
  // trailing bytes are an error). Rejects: empty input, any NUL byte, a root
  // that is not an object, nesting deeper than `max_depth`, duplicate member
  // names in one object, strings that are not valid UTF-8 (including lone
  // surrogates written as \uXXXX escapes). Throws ApiError 400.
  static JsonDocument ParseObject(std::string_view text, int max_depth = kDefaultMaxJsonDepth);

  JsonDocument(JsonDocument&&) noexcept;
  JsonDocument& operator=(JsonDocument&&) noexcept;
  ~JsonDocument();

  // A view of the root object, valid while this document lives.
  JsonObject Root() const;

 private:
  explicit JsonDocument(std::unique_ptr<rapidjson::Document> document);
  std::unique_ptr<rapidjson::Document> document_;
};

// A checked, non-owning view of one JSON object. Copyable; valid while the
// JsonDocument it came from lives.
//
// Absent vs null: Optional*() return std::nullopt for both an absent member
// and an explicit null; use Has()/IsNull() where the difference matters (a
// partial update where null means "clear").
class JsonObject {
 public:
  static constexpr std::int64_t kMinInt = std::numeric_limits<std::int64_t>::min();
  static constexpr std::int64_t kMaxInt = std::numeric_limits<std::int64_t>::max();

  // True when the member is present, whatever its value (null included).
  bool Has(std::string_view field) const;
  // True when the member is present and null.
  bool IsNull(std::string_view field) const;

  // Strings must not contain NUL characters ("\u0000").
  std::string RequiredString(std::string_view field) const;
  std::optional<std::string> OptionalString(std::string_view field) const;

  // Integers only (1.0 is not an integer), within [min, max].
  std::int64_t RequiredInt(std::string_view field, std::int64_t min = kMinInt,
                           std::int64_t max = kMaxInt) const;
  std::optional<std::int64_t> OptionalInt(std::string_view field, std::int64_t min = kMinInt,
                                          std::int64_t max = kMaxInt) const;

  bool RequiredBool(std::string_view field) const;
  std::optional<bool> OptionalBool(std::string_view field) const;

  // Nested objects; their field names in errors are prefixed ("mqtt.port").
  JsonObject RequiredObject(std::string_view field) const;
  std::optional<JsonObject> OptionalObject(std::string_view field) const;

  // An array whose every element is a string.
  std::optional<std::vector<std::string>> OptionalStringArray(std::string_view field) const;

  // Throws ApiError 400 naming the first member not in `allowed`.
  void RejectUnknownFields(std::initializer_list<std::string_view> allowed) const;
  void RejectUnknownFields(std::span<const std::string_view> allowed) const;

  // The underlying value (an object). Check types before any Get*() call.
  const rapidjson::Value& value() const { return *value_; }

 private:
  friend class JsonDocument;
  JsonObject(const rapidjson::Value* value, std::string prefix)
      : value_(value), prefix_(std::move(prefix)) {}

  const rapidjson::Value* Find(std::string_view field) const;
  [[noreturn]] void Fail(std::string_view field, std::string_view problem) const;

  const rapidjson::Value* value_;
  std::string prefix_;
};

// Builds one compact JSON text. Calls chain:
//   JsonWriter json;
//   json.StartObject().Field("id", 7).Field("name", name).Key("tags").StartArray();
//   ... json.EndArray().EndObject();
//   std::string body = json.Take();
// Strings are escaped by RapidJSON; bytes that are not valid UTF-8 are
// replaced by U+FFFD first, so the output is always valid JSON. Misuse
// (a Key outside an object, unbalanced Start/End) is a programming error:
// RapidJSON asserts. NaN and infinities throw std::invalid_argument.
// Not copyable or movable (the writer points into its own buffer).
class JsonWriter {
 public:
  JsonWriter();
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  JsonWriter& StartObject();
  JsonWriter& EndObject();
  JsonWriter& StartArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);

  JsonWriter& String(std::string_view value);
  JsonWriter& Int(std::int64_t value);
  JsonWriter& Uint(std::uint64_t value);
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Inserts `json` verbatim as one value. It must be valid JSON produced by
  // trusted code (e.g. another JsonWriter), never client input.
  JsonWriter& RawValue(std::string_view json);

  // Key followed by a value. Overloads are spelled out so that a string
  // literal never silently becomes a bool.
  JsonWriter& Field(std::string_view key, std::string_view value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, const char* value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, const std::string& value) {
    return Key(key).String(value);
  }
  JsonWriter& Field(std::string_view key, bool value) { return Key(key).Bool(value); }
  JsonWriter& Field(std::string_view key, double value) { return Key(key).Double(value); }
  template <std::integral T>
  requires(!std::same_as<T, bool>) JsonWriter& Field(std::string_view key, T value) {
    Key(key);
    if constexpr (std::is_signed_v<T>) {
      return Int(static_cast<std::int64_t>(value));
    } else {
      return Uint(static_cast<std::uint64_t>(value));
    }
  }
  // null when empty.
  template <typename T>
  JsonWriter& Field(std::string_view key, const std::optional<T>& value) {
    if (!value) return Key(key).Null();
    return Field(key, *value);
  }
  JsonWriter& NullField(std::string_view key) { return Key(key).Null(); }

  // The text so far; the writer should not be used afterwards.
  std::string Take();

 private:
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing
// above U+10FFFF).
bool IsValidUtf8(std::string_view text);
// `text` with every ill-formed sequence replaced by U+FFFD.
std::string SanitizeUtf8(std::string_view text);

}  // namespace switchboard::http
