// "Did you mean …?" for configuration keys and plugin params: one rule for
// every place that names an unknown key.
#pragma once

#include <string>
#include <vector>

namespace switchboard {

// The name in `known` nearest to `key`: a plausible typo (small edit
// distance, scaled with the key's length) or, failing that, a known name that
// starts with `key` ("fallback" for "fallback_regions"). Empty when none is
// close enough.
std::string NearestName(const std::string& key, const std::vector<std::string>& known);

}  // namespace switchboard
