#include "http/signals.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace switchboard::http {
namespace {

sigset_t ServerSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void BlockServerSignals() {
  const sigset_t set = ServerSignals();
  if (const int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0) {
    throw std::runtime_error(std::string("pthread_sigmask: ") + std::strerror(rc));
  }
  signal(SIGPIPE, SIG_IGN);
  // Default action: kill with a core dump, at SQLite's first write past the
  // limit. Ignored, that write fails with EFBIG like a full disk.
  signal(SIGXFSZ, SIG_IGN);
}

int WaitForServerSignal() {
  const sigset_t set = ServerSignals();
  int signal_number = 0;
  if (const int rc = sigwait(&set, &signal_number); rc != 0) {
    throw std::runtime_error(std::string("sigwait: ") + std::strerror(rc));
  }
  return signal_number;
}

int WaitForTermination(const std::function<void()>& on_hangup) {
  for (;;) {
    const int signal_number = WaitForServerSignal();
    if (signal_number != SIGHUP) return signal_number;
    if (on_hangup) on_hangup();
  }
}

}  // namespace switchboard::http
