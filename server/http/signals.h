// Signals for a process that runs an HttpServer, the way Pistache 0.0.5
// needs them: its threads must never take SIGINT/SIGTERM/SIGHUP (a handler
// cannot safely call shutdown()), a write to a closed socket (OpenSSL
// does not pass MSG_NOSIGNAL) must not kill the process, and neither must a
// write beyond a file-size limit (`ulimit -f`, systemd's LimitFSIZE=): the
// write fails instead, and storage answers 503 (docs/reliability.md).
//
//   int main() {
//     switchboard::http::BlockServerSignals();  // first: before any thread starts
//     ... storage, chain, HttpServer; server.Serve();
//     switchboard::http::WaitForTermination([&] { ReloadChain(); });  // SIGHUP
//     server.Shutdown();  // drains, then joins Pistache's threads
//     ... now destroy what the handlers used
//   }
//
// Thread-safety: call from the main thread only.
#pragma once

#include <functional>

namespace switchboard::http {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (threads created
// afterwards inherit the mask, so only the waits below ever take them) and
// ignores SIGPIPE and SIGXFSZ for the whole process.
void BlockServerSignals();

// Waits for SIGINT, SIGTERM or SIGHUP (BlockServerSignals() first) and
// returns its number.
int WaitForServerSignal();

// Calls `on_hangup` for each SIGHUP (on this thread; it should catch its own
// errors) until SIGINT or SIGTERM arrives, whose number it returns.
int WaitForTermination(const std::function<void()>& on_hangup);

}  // namespace switchboard::http
