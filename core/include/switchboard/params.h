// Params: the free-form `params:` map of one chain step, handed to a plugin's
// factory once, at creation.
//
// The YAML is converted into this plain tree at the edge, so plugins never see
// a YAML node. Every value remembers where it was written (line, column), so a
// plugin's complaint points at the exact spot in the operator's file.
//
// A plugin validates its params with a ParamsReader: it asks for each key it
// knows, and Finish() reports every key it did not ask for. All problems are
// collected, never only the first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "switchboard/export.h"

namespace switchboard {

// A position in the configuration file; 1-based, 0 = unknown.
struct SourceMark {
  int line = 0;
  int column = 0;
};

class SWITCHBOARD_EXPORT ParamValue {
 public:
  enum class Kind { kNull, kScalar, kList, kMap };

  // Defined in the library, not implicitly here: a member vector of pairs
  // holding this class would otherwise be instantiated while the class is
  // still incomplete, which clang with libstdc++ 12 refuses.
  ParamValue();
  ParamValue(const ParamValue&);
  ParamValue(ParamValue&&) noexcept;
  ParamValue& operator=(const ParamValue&);
  ParamValue& operator=(ParamValue&&) noexcept;
  ~ParamValue();

  Kind kind = Kind::kNull;
  std::string scalar;                                       // kScalar
  std::vector<ParamValue> items;                            // kList
  std::vector<std::pair<std::string, ParamValue>> entries;  // kMap, in file order
  SourceMark mark;

  bool IsNull() const { return kind == Kind::kNull; }
  bool IsScalar() const { return kind == Kind::kScalar; }
  bool IsList() const { return kind == Kind::kList; }
  bool IsMap() const { return kind == Kind::kMap; }

  // Map lookup; nullptr when absent or when this is not a map.
  const ParamValue* Find(const std::string& key) const;
};

// One problem with a step's params: what is wrong and where.
struct ParamProblem {
  std::string message;  // e.g. "unknown key 'varible' (did you mean 'variable'?)"
  SourceMark mark;
};

// Reads a params map and collects problems. Not thread-safe; use it once, in
// a factory.
class SWITCHBOARD_EXPORT ParamsReader {
 public:
  // `params` must outlive the reader. A null value reads as an empty map.
  explicit ParamsReader(const ParamValue& params);

  // Each getter marks `key` as known and returns its value, or the fallback
  // when the key is absent or null. A present value of the wrong type is a
  // problem (and yields the fallback). Booleans accept true/false, yes/no,
  // on/off.
  std::string String(const std::string& key, const std::string& fallback = "");
  std::int64_t Integer(const std::string& key, std::int64_t fallback);
  bool Boolean(const std::string& key, bool fallback);
  std::vector<std::string> StringList(const std::string& key);
  // The raw value of a key (for nested structures); nullptr when absent.
  const ParamValue* Raw(const std::string& key);

  // Records a problem of the plugin's own (e.g. a value out of range): at
  // `mark`, or at `key` (the message is then prefixed "'key': "; the params'
  // own mark when the key is absent).
  void Problem(const std::string& message, SourceMark mark);
  void Problem(const std::string& key, const std::string& message);

  // Adds "unknown key" problems for every key no getter asked for (with the
  // nearest known key as a suggestion) and returns all problems collected,
  // in file order. Call once, last.
  std::vector<ParamProblem> Finish();

 private:
  const ParamValue* Lookup(const std::string& key);

  const ParamValue& params_;
  std::vector<std::string> known_keys_;
  std::vector<ParamProblem> problems_;
};

}  // namespace switchboard
