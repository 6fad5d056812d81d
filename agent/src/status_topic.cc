#include "status_topic.h"

namespace switchboard::agent {

std::string StatusTopicFor(const std::vector<std::string>& publish_filters) {
  for (const std::string& filter : publish_filters) {
    if (filter.empty() || filter.find('\0') != std::string::npos) continue;
    std::string base = filter;
    bool subtree = false;
    if (base.size() >= 2 && base.compare(base.size() - 2, 2, "/#") == 0) {
      base.resize(base.size() - 2);
      subtree = true;
    }
    if (base.empty() || base.find_first_of("+#") != std::string::npos) continue;
    return subtree ? base + "/status" : base;
  }
  return "";
}

}  // namespace switchboard::agent
