#include "http/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <stdexcept>
#include <unordered_set>
#include <utility>

#include "http/api_error.h"

namespace switchboard::http {
namespace {

constexpr unsigned kParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

// Field names echoed in messages may come from the client (unknown fields):
// keep them short.
std::string Shorten(std::string_view name) {
  constexpr size_t kMax = 64;
  if (name.size() <= kMax) return SanitizeUtf8(name);
  return SanitizeUtf8(name.substr(0, kMax)) + "...";
}

// Forwards SAX events to a Document, refusing to open a container deeper
// than the limit. Returning false makes the reader stop with
// kParseErrorTermination, and Populate() then discards the partial tree.
class DepthLimitedHandler {
 public:
  DepthLimitedHandler(rapidjson::Document& document, int max_depth)
      : document_(document), max_depth_(max_depth) {}

  bool Null() { return document_.Null(); }
  bool Bool(bool b) { return document_.Bool(b); }
  bool Int(int i) { return document_.Int(i); }
  bool Uint(unsigned u) { return document_.Uint(u); }
  bool Int64(int64_t i) { return document_.Int64(i); }
  bool Uint64(uint64_t u) { return document_.Uint64(u); }
  bool Double(double d) { return document_.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return document_.RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) {
    return document_.String(s, n, copy);
  }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return document_.Key(s, n, copy); }
  bool StartObject() { return Enter() && document_.StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    --depth_;
    return document_.EndObject(n);
  }
  bool StartArray() { return Enter() && document_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth_;
    return document_.EndArray(n);
  }

  bool too_deep() const { return too_deep_; }

 private:
  bool Enter() {
    if (++depth_ > max_depth_) {
      too_deep_ = true;
      return false;
    }
    return true;
  }

  rapidjson::Document& document_;
  const int max_depth_;
  int depth_ = 0;
  bool too_deep_ = false;
};

std::string_view View(const rapidjson::Value& v) {
  return std::string_view(v.GetString(), v.GetStringLength());
}

// Rejects what the parser lets through: duplicate member names (FindMember
// would silently use the first) and strings that are not valid UTF-8
// (RapidJSON 1.1.0 turns a lone "\udc00" escape into a surrogate encoding).
// Depth is already bounded, so recursion is bounded too.
void CheckTree(const rapidjson::Value& value) {
  if (value.IsString()) {
    if (!IsValidUtf8(View(value))) {
      throw ApiError::InvalidRequest("malformed JSON: string is not valid UTF-8");
    }
  } else if (value.IsArray()) {
    for (const auto& element : value.GetArray()) CheckTree(element);
  } else if (value.IsObject()) {
    std::unordered_set<std::string_view> names;
    for (const auto& member : value.GetObject()) {
      const std::string_view name = View(member.name);
      if (!IsValidUtf8(name)) {
        throw ApiError::InvalidRequest("malformed JSON: member name is not valid UTF-8");
      }
      if (!names.insert(name).second) {
        throw ApiError::InvalidRequest("duplicate field '" + Shorten(name) + "'", Shorten(name));
      }
      CheckTree(member.value);
    }
  }
}

}  // namespace

// --- JsonDocument

JsonDocument::JsonDocument(std::unique_ptr<rapidjson::Document> document)
    : document_(std::move(document)) {}
JsonDocument::JsonDocument(JsonDocument&&) noexcept = default;
JsonDocument& JsonDocument::operator=(JsonDocument&&) noexcept = default;
JsonDocument::~JsonDocument() = default;

JsonDocument JsonDocument::ParseObject(std::string_view text, int max_depth) {
  if (text.empty()) throw ApiError::InvalidRequest("request body must be a JSON object");
  // The reader treats a NUL byte as the end of input, which would let
  // `{}\0garbage` through; NUL is never valid in JSON text anyway.
  if (text.find('\0') != std::string_view::npos) {
    throw ApiError::InvalidRequest("malformed JSON: NUL byte in body");
  }
  auto document = std::make_unique<rapidjson::Document>();
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::Reader reader;
  rapidjson::ParseResult result;
  bool too_deep = false;
  auto generator = [&](rapidjson::Document& target) {
    DepthLimitedHandler handler(target, max_depth);
    result = reader.Parse<kParseFlags>(stream, handler);
    too_deep = handler.too_deep();
    return !result.IsError();
  };
  document->Populate(generator);
  if (too_deep) {
    throw ApiError::InvalidRequest("JSON nested deeper than " + std::to_string(max_depth) +
                                   " levels");
  }
  if (result.IsError()) {
    throw ApiError::InvalidRequest("malformed JSON at offset " + std::to_string(result.Offset()) +
                                   ": " + rapidjson::GetParseError_En(result.Code()));
  }
  if (!document->IsObject()) throw ApiError::InvalidRequest("request body must be a JSON object");
  CheckTree(*document);
  return JsonDocument(std::move(document));
}

JsonObject JsonDocument::Root() const { return JsonObject(document_.get(), ""); }

// --- JsonObject

const rapidjson::Value* JsonObject::Find(std::string_view field) const {
  const auto it =
      value_->FindMember(rapidjson::Value(rapidjson::StringRef(field.data(), field.size())));
  return it == value_->MemberEnd() ? nullptr : &it->value;
}

void JsonObject::Fail(std::string_view field, std::string_view problem) const {
  const std::string name = prefix_ + Shorten(field);
  throw ApiError::InvalidRequest("field '" + name + "' " + std::string(problem), name);
}

bool JsonObject::Has(std::string_view field) const { return Find(field) != nullptr; }

bool JsonObject::IsNull(std::string_view field) const {
  const rapidjson::Value* v = Find(field);
  return v != nullptr && v->IsNull();
}

std::optional<std::string> JsonObject::OptionalString(std::string_view field) const {
  const rapidjson::Value* v = Find(field);
  if (v == nullptr || v->IsNull()) return std::nullopt;
  if (!v->IsString()) Fail(field, "must be a string");
  const std::string_view s = View(*v);
  if (s.find('\0') != std::string_view::npos) Fail(field, "must not contain NUL characters");
  return std::string(s);
}

std::string JsonObject::RequiredString(std::string_view field) const {
  if (!Has(field) || IsNull(field)) Fail(field, "is required");
  return *OptionalString(field);
}

std::optional<std::int64_t> JsonObject::OptionalInt(std::string_view field, std::int64_t min,
                                                    std::int64_t max) const {
  const rapidjson::Value* v = Find(field);
  if (v == nullptr || v->IsNull()) return std::nullopt;
  const bool in_range = v->IsInt64() && v->GetInt64() >= min && v->GetInt64() <= max;
  if (!in_range) {
    if (min == kMinInt && max == kMaxInt) Fail(field, "must be an integer");
    Fail(field,
         "must be an integer between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return v->GetInt64();
}

std::int64_t JsonObject::RequiredInt(std::string_view field, std::int64_t min,
                                     std::int64_t max) const {
  if (!Has(field) || IsNull(field)) Fail(field, "is required");
  return *OptionalInt(field, min, max);
}

std::optional<bool> JsonObject::OptionalBool(std::string_view field) const {
  const rapidjson::Value* v = Find(field);
  if (v == nullptr || v->IsNull()) return std::nullopt;
  if (!v->IsBool()) Fail(field, "must be a boolean");
  return v->GetBool();
}

bool JsonObject::RequiredBool(std::string_view field) const {
  if (!Has(field) || IsNull(field)) Fail(field, "is required");
  return *OptionalBool(field);
}

std::optional<JsonObject> JsonObject::OptionalObject(std::string_view field) const {
  const rapidjson::Value* v = Find(field);
  if (v == nullptr || v->IsNull()) return std::nullopt;
  if (!v->IsObject()) Fail(field, "must be an object");
  return JsonObject(v, prefix_ + std::string(field) + ".");
}

JsonObject JsonObject::RequiredObject(std::string_view field) const {
  if (!Has(field) || IsNull(field)) Fail(field, "is required");
  return *OptionalObject(field);
}

std::optional<std::vector<std::string>> JsonObject::OptionalStringArray(
    std::string_view field) const {
  const rapidjson::Value* v = Find(field);
  if (v == nullptr || v->IsNull()) return std::nullopt;
  if (!v->IsArray()) Fail(field, "must be an array of strings");
  std::vector<std::string> out;
  out.reserve(v->Size());
  for (const auto& element : v->GetArray()) {
    if (!element.IsString()) Fail(field, "must be an array of strings");
    const std::string_view s = View(element);
    if (s.find('\0') != std::string_view::npos) Fail(field, "must not contain NUL characters");
    out.emplace_back(s);
  }
  return out;
}

void JsonObject::RejectUnknownFields(std::initializer_list<std::string_view> allowed) const {
  RejectUnknownFields(std::span<const std::string_view>(allowed.begin(), allowed.size()));
}

void JsonObject::RejectUnknownFields(std::span<const std::string_view> allowed) const {
  for (const auto& member : value_->GetObject()) {
    const std::string_view name = View(member.name);
    bool known = false;
    for (std::string_view a : allowed) known = known || a == name;
    if (!known) Fail(name, "is not a known field");
  }
}

}  // namespace switchboard::http
