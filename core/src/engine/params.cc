// ParamValue lookups and ParamsReader: how plugins validate their params.
// Part of libswitchboard_sdk.so (core/CMakeLists.txt).
#include "switchboard/params.h"

#include "config/suggest.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstddef>
#include <set>

namespace switchboard {
namespace {

std::string Quoted(const std::string& text) { return "'" + text + "'"; }

}  // namespace

ParamValue::ParamValue() = default;
ParamValue::ParamValue(const ParamValue&) = default;
ParamValue::ParamValue(ParamValue&&) noexcept = default;
ParamValue& ParamValue::operator=(const ParamValue&) = default;
ParamValue& ParamValue::operator=(ParamValue&&) noexcept = default;
ParamValue::~ParamValue() = default;

const ParamValue* ParamValue::Find(const std::string& key) const {
  if (kind != Kind::kMap) return nullptr;
  for (const auto& [name, value] : entries) {
    if (name == key) return &value;
  }
  return nullptr;
}

ParamsReader::ParamsReader(const ParamValue& params) : params_(params) {
  if (!params.IsNull() && !params.IsMap()) {
    problems_.push_back({"params must be a map of key: value", params.mark});
  }
}

const ParamValue* ParamsReader::Lookup(const std::string& key) {
  if (std::find(known_keys_.begin(), known_keys_.end(), key) == known_keys_.end()) {
    known_keys_.push_back(key);
  }
  const ParamValue* value = params_.Find(key);
  // `key:` or `key: ~` reads as absent: the default applies.
  if (value != nullptr && value->IsNull()) return nullptr;
  return value;
}

std::string ParamsReader::String(const std::string& key, const std::string& fallback) {
  const ParamValue* value = Lookup(key);
  if (value == nullptr) return fallback;
  if (!value->IsScalar()) {
    problems_.push_back({Quoted(key) + " must be a string", value->mark});
    return fallback;
  }
  return value->scalar;
}

std::int64_t ParamsReader::Integer(const std::string& key, std::int64_t fallback) {
  const ParamValue* value = Lookup(key);
  if (value == nullptr) return fallback;
  std::int64_t out = 0;
  if (value->IsScalar()) {
    const std::string& text = value->scalar;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, out);
    if (ec == std::errc() && ptr == end && !text.empty()) return out;
  }
  problems_.push_back({Quoted(key) + " must be an integer" +
                           (value->IsScalar() ? ", got " + Quoted(value->scalar) : ""),
                       value->mark});
  return fallback;
}

bool ParamsReader::Boolean(const std::string& key, bool fallback) {
  const ParamValue* value = Lookup(key);
  if (value == nullptr) return fallback;
  if (value->IsScalar()) {
    std::string text = value->scalar;
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (text == "true" || text == "yes" || text == "on") return true;
    if (text == "false" || text == "no" || text == "off") return false;
  }
  problems_.push_back({Quoted(key) + " must be true or false" +
                           (value->IsScalar() ? ", got " + Quoted(value->scalar) : ""),
                       value->mark});
  return fallback;
}

std::vector<std::string> ParamsReader::StringList(const std::string& key) {
  const ParamValue* value = Lookup(key);
  std::vector<std::string> out;
  if (value == nullptr) return out;
  if (!value->IsList()) {
    problems_.push_back({Quoted(key) + " must be a list of strings, e.g. [a, b]", value->mark});
    return out;
  }
  for (const auto& item : value->items) {
    if (item.IsScalar()) {
      out.push_back(item.scalar);
    } else {
      problems_.push_back({Quoted(key) + " items must be strings", item.mark});
    }
  }
  return out;
}

const ParamValue* ParamsReader::Raw(const std::string& key) { return Lookup(key); }

void ParamsReader::Problem(const std::string& message, SourceMark mark) {
  problems_.push_back({message, mark});
}

void ParamsReader::Problem(const std::string& key, const std::string& message) {
  const ParamValue* value = params_.Find(key);
  problems_.push_back({Quoted(key) + ": " + message, value ? value->mark : params_.mark});
}

std::vector<ParamProblem> ParamsReader::Finish() {
  if (params_.IsMap()) {
    std::set<std::string> seen;
    for (const auto& [key, value] : params_.entries) {
      if (!seen.insert(key).second) {
        problems_.push_back({"duplicate key " + Quoted(key), value.mark});
        continue;
      }
      if (std::find(known_keys_.begin(), known_keys_.end(), key) != known_keys_.end()) continue;
      std::string message = "unknown key " + Quoted(key);
      if (known_keys_.empty()) {
        message += " (this plugin takes no params)";
      } else if (const std::string near = NearestName(key, known_keys_); !near.empty()) {
        message += " (did you mean " + Quoted(near) + "?)";
      } else {
        std::string list;
        for (const auto& k : known_keys_) list += (list.empty() ? "" : ", ") + k;
        message += " (known keys: " + list + ")";
      }
      problems_.push_back({message, value.mark});
    }
  }
  // Report in file order, so the operator reads them top to bottom.
  std::stable_sort(
      problems_.begin(), problems_.end(), [](const ParamProblem& a, const ParamProblem& b) {
        return std::pair(a.mark.line, a.mark.column) < std::pair(b.mark.line, b.mark.column);
      });
  return std::move(problems_);
}

}  // namespace switchboard
