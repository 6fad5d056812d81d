#include "domain/mqtt_topics.h"

#include <vector>

namespace switchboard {
namespace {

std::vector<std::string_view> Levels(std::string_view text) {
  std::vector<std::string_view> levels;
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = text.find('/', start);
    levels.push_back(text.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) return levels;
    start = slash + 1;
  }
}

bool BasicString(std::string_view text) {
  return !text.empty() && text.size() <= kMaxMqttStringBytes &&
         text.find('\0') == std::string_view::npos;
}

}  // namespace

bool IsValidTopicName(std::string_view topic) {
  return BasicString(topic) && topic.find_first_of("+#") == std::string_view::npos;
}

bool IsValidTopicFilter(std::string_view filter) {
  if (!BasicString(filter)) return false;
  const std::vector<std::string_view> levels = Levels(filter);
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const std::string_view level = levels[i];
    if (level.find_first_of("+#") == std::string_view::npos) continue;
    if (level == "+") continue;
    if (level == "#" && i + 1 == levels.size()) continue;
    return false;
  }
  return true;
}

bool TopicMatchesFilter(std::string_view filter, std::string_view topic) {
  if (!IsValidTopicFilter(filter) || !IsValidTopicName(topic)) return false;
  // A topic is also a filter without wildcards: covering it is matching it.
  return FilterCoversFilter(filter, topic);
}

bool FilterCoversFilter(std::string_view granted, std::string_view requested) {
  if (!IsValidTopicFilter(granted) || !IsValidTopicFilter(requested)) return false;
  const std::vector<std::string_view> g = Levels(granted);
  const std::vector<std::string_view> r = Levels(requested);
  // '$' topics: a wildcard in the first level of `granted` never reaches them.
  if (r.front().starts_with('$') && (g.front() == "+" || g.front() == "#")) return false;
  for (std::size_t i = 0; i < g.size(); ++i) {
    if (g[i] == "#") return true;  // the rest, whatever `requested` has there
    if (i >= r.size()) return false;
    if (r[i] == "#") return false;  // any depth, which a finite `granted` cannot cover
    if (g[i] == "+") continue;      // one level of anything, `+` included
    if (r[i] == "+" || g[i] != r[i]) return false;
  }
  // `granted` ended without `#`: it covers filters of its own depth only.
  return r.size() == g.size();
}

}  // namespace switchboard
