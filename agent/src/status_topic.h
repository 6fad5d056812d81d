// Where the agent publishes its retained `online` / `offline` status: a
// topic the device may write, so it must come from `topics.publish`.
// Pure function.
#pragma once

#include <string>
#include <vector>

namespace switchboard::agent {

// The first usable publish filter gives the status topic:
//   "iot/device/<uuid>/#"  -> "iot/device/<uuid>/status"
//   "plant/7/dev-1/state"  -> "plant/7/dev-1/state"  (a topic, no wildcard)
// Filters with a `+`, with `#` anywhere but a final "/#", or "#" alone are
// skipped. "" when none is usable (then the agent publishes no status and
// sets no will).
std::string StatusTopicFor(const std::vector<std::string>& publish_filters);

}  // namespace switchboard::agent
