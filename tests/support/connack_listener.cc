#include "connack_listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>

#include <map>
#include <stdexcept>
#include <vector>

namespace switchboard::testing {

ConnackListener::ConnackListener(Mode mode) : mode_(mode) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) throw std::runtime_error("ConnackListener: socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listen_fd_, 1024) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      pipe2(wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
    close(listen_fd_);
    throw std::runtime_error("ConnackListener: cannot listen on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Run(); });
}

ConnackListener::~ConnackListener() {
  const char stop = 'x';
  if (write(wake_fds_[1], &stop, 1) != 1) {
    // The pipe is empty and non-blocking: a failed write leaves nothing to do.
  }
  thread_.join();
  close(listen_fd_);
  close(wake_fds_[0]);
  close(wake_fds_[1]);
}

void ConnackListener::Run() {
  std::map<int, bool> connections;  // fd → CONNACK sent
  while (true) {
    std::vector<pollfd> fds = {{wake_fds_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    for (const auto& [fd, done] : connections) fds.push_back({fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) continue;
    if (fds[0].revents != 0) break;
    if (fds[1].revents & POLLIN) {
      while (true) {
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) break;
        connections[fd] = false;
        ++accepted_;
      }
    }
    for (std::size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      const int fd = fds[i].fd;
      char buffer[512];
      const ssize_t n = read(fd, buffer, sizeof buffer);
      if (n == 0 || (n < 0 && errno != EAGAIN)) {
        close(fd);
        connections.erase(fd);
        continue;
      }
      if (n > 0 && mode_ == Mode::kConnack && !connections[fd]) {
        // CONNACK: session present 0, return code 0 (accepted).
        static const unsigned char kConnack[] = {0x20, 0x02, 0x00, 0x00};
        if (write(fd, kConnack, sizeof kConnack) == sizeof kConnack) ++answered_;
        connections[fd] = true;
      }
    }
  }
  for (const auto& [fd, done] : connections) close(fd);
}

}  // namespace switchboard::testing
