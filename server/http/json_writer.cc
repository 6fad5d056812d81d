#include "http/json.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace switchboard::http {
namespace {

// Length of the well-formed UTF-8 sequence at text[i], or 0 (Unicode table
// 3-7: exact second-byte ranges exclude overlongs, surrogates and > U+10FFFF).
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t length = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;  // U+D800..U+DFFF are not characters
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    // ASCII (nearly every key and value) needs no decoding; the per-byte
    // decoder call was a visible share of a config-fetch answer's cost.
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string SanitizeUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

// --- JsonWriter

JsonWriter::JsonWriter() : writer_(buffer_) {}

JsonWriter& JsonWriter::StartObject() {
  writer_.StartObject();
  return *this;
}
JsonWriter& JsonWriter::EndObject() {
  writer_.EndObject();
  return *this;
}
JsonWriter& JsonWriter::StartArray() {
  writer_.StartArray();
  return *this;
}
JsonWriter& JsonWriter::EndArray() {
  writer_.EndArray();
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  if (IsValidUtf8(key)) {
    writer_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  } else {
    const std::string clean = SanitizeUtf8(key);
    writer_.Key(clean.data(), static_cast<rapidjson::SizeType>(clean.size()), true);
  }
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  if (IsValidUtf8(value)) {
    writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  } else {
    const std::string clean = SanitizeUtf8(value);
    writer_.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()), true);
  }
  return *this;
}

JsonWriter& JsonWriter::Int(std::int64_t value) {
  writer_.Int64(value);
  return *this;
}
JsonWriter& JsonWriter::Uint(std::uint64_t value) {
  writer_.Uint64(value);
  return *this;
}
JsonWriter& JsonWriter::Double(double value) {
  // Checked before the writer emits a separator for a value it then refuses.
  if (!std::isfinite(value)) throw std::invalid_argument("JSON cannot represent NaN or infinity");
  writer_.Double(value);
  return *this;
}
JsonWriter& JsonWriter::Bool(bool value) {
  writer_.Bool(value);
  return *this;
}
JsonWriter& JsonWriter::Null() {
  writer_.Null();
  return *this;
}
JsonWriter& JsonWriter::RawValue(std::string_view json) {
  writer_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  return *this;
}

std::string JsonWriter::Take() { return std::string(buffer_.GetString(), buffer_.GetSize()); }

}  // namespace switchboard::http
