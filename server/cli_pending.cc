// Commands whose implementation has not landed yet. Each says so plainly and
// exits non-zero. Remove an entry when its real implementation lands.
#include <iostream>

#include "cli_commands.h"

namespace switchboard::cli {
namespace {

int NotBuiltYet(const char* command, const char* issue) {
  std::cerr << "switchboard " << command << ": not built yet (" << issue << ")\n";
  return 1;
}

}  // namespace

int RunKeys(const Args&) { return NotBuiltYet("keys", "REST API issue"); }

}  // namespace switchboard::cli
