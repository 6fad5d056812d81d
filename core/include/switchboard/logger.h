// Logger: how a plugin writes to the server's log.
//
// Thread-safe. Lines are prefixed with `plugin/<name>:` by the host. Never log
// a secret (broker passwords, keys, API keys): the log is read by people who
// must not see them.
#pragma once

#include <string_view>

#include "switchboard/export.h"

namespace switchboard {

class SWITCHBOARD_EXPORT Logger {
 public:
  virtual ~Logger();
  virtual void Info(std::string_view message) = 0;
  virtual void Warn(std::string_view message) = 0;
  virtual void Error(std::string_view message) = 0;
};

}  // namespace switchboard
