#include "loopback_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <utility>

namespace switchboard::testing {

LoopbackListener::LoopbackListener() : LoopbackListener(Handler{}) {}

LoopbackListener::LoopbackListener(Handler handler) : handler_(std::move(handler)) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd_, 64) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd_ >= 0) ::close(fd_);
    throw std::runtime_error("loopback listener: cannot listen on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
  if (handler_) thread_ = std::thread([this] { Run(); });
}

LoopbackListener::~LoopbackListener() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
}

bool LoopbackListener::Readable(int socket, int timeout_ms) {
  pollfd entry{socket, POLLIN, 0};
  return ::poll(&entry, 1, timeout_ms) > 0;
}

void LoopbackListener::Run() {
  while (!stopping_) {
    if (!Readable(fd_, 20)) continue;
    const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    ++accepted_;
    handler_(client, stopping_);
    ::close(client);
  }
}

LoopbackListener::Handler LoopbackListener::HangUp() {
  return [](int, const std::atomic<bool>&) {};
}

LoopbackListener::Handler LoopbackListener::Reply(std::string bytes) {
  return [bytes = std::move(bytes)](int socket, const std::atomic<bool>& stopping) {
    (void)!::send(socket, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    char buffer[512];
    while (!stopping) {
      if (!Readable(socket, 20)) continue;
      if (::read(socket, buffer, sizeof buffer) <= 0) return;  // the client closed
    }
  };
}

}  // namespace switchboard::testing
