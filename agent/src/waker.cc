#include "waker.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

namespace switchboard::agent {

Waker::Waker() {
  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  read_fd_ = fds[0];
  write_fd_ = fds[1];
}

Waker::~Waker() {
  close(read_fd_);
  close(write_fd_);
}

void Waker::Notify() {
  const int saved = errno;  // signal handlers must leave errno alone
  const char byte = 1;
  // A full pipe already guarantees a wake-up: the result does not matter.
  [[maybe_unused]] const ssize_t ignored = write(write_fd_, &byte, 1);
  errno = saved;
}

void Waker::Wait(std::chrono::milliseconds timeout) {
  pollfd entry{read_fd_, POLLIN, 0};
  const auto millis = std::clamp<long long>(timeout.count(), 0, 24LL * 3600 * 1000);
  poll(&entry, 1, static_cast<int>(millis));
  char buffer[64];
  while (read(read_fd_, buffer, sizeof buffer) > 0) {
  }
}

}  // namespace switchboard::agent
