// Wakes the agent's main thread: from libmosquitto's network thread (a
// connection event) and from signal handlers (Notify() is
// async-signal-safe). A non-blocking pipe; Wait() sleeps in poll(2).
// Thread-safe.
#pragma once

#include <chrono>

namespace switchboard::agent {

class Waker {
 public:
  Waker();  // throws std::runtime_error when no pipe can be made
  ~Waker();
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;

  void Notify();  // async-signal-safe
  // Sleeps until Notify() or `timeout`; drains pending notifications.
  void Wait(std::chrono::milliseconds timeout);

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
};

}  // namespace switchboard::agent
