// Whether a TCP connection to host:port can be made within a bound: the
// check before failing back to the primary broker, so a device on a backup
// does not drop a working connection for a primary that is still down.
// Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <string>

namespace switchboard::agent {

// Tries each address of `host` in turn, each with the remaining time of
// `bound`. True as soon as one accepts.
bool TcpReachable(const std::string& host, int port, std::chrono::milliseconds bound);

}  // namespace switchboard::agent
