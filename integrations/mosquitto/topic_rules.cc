#include "topic_rules.h"

#include <mosquitto.h>

namespace switchboard::mosquitto_plugin {
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

bool ValidFilter(const std::vector<std::string_view>& levels) {
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const std::string_view level = levels[i];
    if (level.find_first_of("+#") == std::string_view::npos || level == "+") continue;
    if (level == "#" && i + 1 == levels.size()) continue;
    return false;
  }
  return true;
}

bool Fits(Rule::Action rule, Access access) {
  if (rule == Rule::Action::kAll) return true;
  return rule == (access == Access::kPublish ? Rule::Action::kPublish : Rule::Action::kSubscribe);
}

}  // namespace

bool FilterCovers(std::string_view granted, std::string_view requested) {
  if (granted.empty() || requested.empty()) return false;
  const std::vector<std::string_view> g = Levels(granted);
  const std::vector<std::string_view> r = Levels(requested);
  if (!ValidFilter(g) || !ValidFilter(r)) return false;
  if (r.front().starts_with('$') && (g.front() == "+" || g.front() == "#")) return false;
  for (std::size_t i = 0; i < g.size(); ++i) {
    if (g[i] == "#") return true;
    if (i >= r.size() || r[i] == "#") return false;
    if (g[i] == "+") continue;
    if (r[i] == "+" || g[i] != r[i]) return false;
  }
  return r.size() == g.size();
}

bool Allowed(const Rules& rules, Access access, std::string_view topic) {
  if (topic.empty()) return false;
  // mosquitto_topic_matches_sub needs C strings.
  const std::string name(topic);
  for (const Rule& rule : rules) {
    if (!Fits(rule.action, access)) continue;
    bool match = false;
    if (access == Access::kSubscribe) {
      match = FilterCovers(rule.topic, topic);
    } else if (mosquitto_topic_matches_sub(rule.topic.c_str(), name.c_str(), &match) !=
               MOSQ_ERR_SUCCESS) {
      match = false;  // a malformed rule or topic matches nothing
    }
    if (match) return rule.allow;
  }
  return false;
}

const char* HookAction(Access access) {
  return access == Access::kPublish ? "publish" : "subscribe";
}

}  // namespace switchboard::mosquitto_plugin
