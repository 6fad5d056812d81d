// A TCP listener on 127.0.0.1 that plays an MQTT broker just enough for the
// probe (probe/broker_probe.h), for health monitor tests and the monitor's
// benchmark. Not a broker: no MQTT parsing beyond "some bytes arrived".
//
//   kConnack  answers the first bytes of each connection with CONNACK
//             (return code 0), then waits for the client to close
//   kSilent   accepts TCP and never sends a byte: a hung broker
//
// One thread multiplexes every connection (poll), so thousands of probes
// do not need thousands of threads. The destructor stops it and closes
// every connection. Thread-safe: accepted() and answered() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

namespace switchboard::testing {

class ConnackListener {
 public:
  enum class Mode { kConnack, kSilent };

  // Binds 127.0.0.1 on a free port and starts serving. Throws
  // std::runtime_error when it cannot bind.
  explicit ConnackListener(Mode mode);
  ~ConnackListener();
  ConnackListener(const ConnackListener&) = delete;
  ConnackListener& operator=(const ConnackListener&) = delete;

  int port() const { return port_; }
  // Connections accepted, and CONNACKs sent, so far.
  std::uint64_t accepted() const { return accepted_.load(); }
  std::uint64_t answered() const { return answered_.load(); }

 private:
  void Run();

  const Mode mode_;
  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};  // a pipe: the destructor writes to stop Run()
  int port_ = 0;
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> answered_{0};
  std::thread thread_;
};

}  // namespace switchboard::testing
