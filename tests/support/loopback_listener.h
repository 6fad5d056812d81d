// A TCP listener on 127.0.0.1 (a free port) for tests that need a peer
// which is not a real service: one that never answers, one that says
// something wrong, one that hangs up, one that counts connections.
//
//   LoopbackListener silent;                         // handshakes complete
//                                                    // (the kernel's backlog),
//                                                    // nobody ever reads
//   LoopbackListener hang_up(LoopbackListener::HangUp());
//   LoopbackListener http(LoopbackListener::Reply("HTTP/1.1 400 …"));
//   connect to silent.port(); … hang_up.accepted() == 1
//
// With a handler, one thread accepts connections one at a time and runs the
// handler on each; the handler owns the socket until it returns (the
// listener closes it then) and should return soon after `stopping` turns
// true. The destructor stops and joins that thread. Not copyable; the
// accessors are safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

namespace switchboard::testing {

class LoopbackListener {
 public:
  using Handler = std::function<void(int socket, const std::atomic<bool>& stopping)>;

  // Never accepts: connections complete and then hear nothing.
  LoopbackListener();
  explicit LoopbackListener(Handler handler);
  ~LoopbackListener();
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  std::uint16_t port() const { return port_; }
  // Connections accepted so far (0 for a silent listener).
  int accepted() const { return accepted_.load(); }

  // Closes each connection as soon as it is accepted.
  static Handler HangUp();
  // Sends `bytes`, then holds the connection until the client closes it or
  // the listener stops.
  static Handler Reply(std::string bytes);
  // Waits up to `timeout_ms` for `socket` to be readable. For handlers.
  static bool Readable(int socket, int timeout_ms);

 private:
  void Run();

  int fd_ = -1;
  std::uint16_t port_ = 0;
  Handler handler_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

}  // namespace switchboard::testing
