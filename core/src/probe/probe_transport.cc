#include "probe/probe_transport.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

namespace switchboard::probe {
namespace {

std::string Errno(int error) { return std::strerror(error); }

std::string AddressText(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {};
  // Appended in order rather than `"[" + std::string(text) + …`: GCC 12 at
  // -O3 reports a false -Wrestrict inside operator+(const char*, string&&).
  std::string out;
  if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    out.append("[").append(text).append("]:").append(std::to_string(ntohs(in6->sin6_port)));
    return out;
  }
  const auto* in4 = reinterpret_cast<const sockaddr_in*>(address);
  inet_ntop(AF_INET, &in4->sin_addr, text, sizeof text);
  out.append(text).append(":").append(std::to_string(ntohs(in4->sin_port)));
  return out;
}

std::vector<SocketAddress> CopyAddresses(const addrinfo* list) {
  std::vector<SocketAddress> out;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    SocketAddress address;
    std::memcpy(&address.storage, ai->ai_addr, ai->ai_addrlen);
    address.length = ai->ai_addrlen;
    address.text = AddressText(ai->ai_addr);
    out.push_back(std::move(address));
  }
  return out;
}

// Shared between the probe and its detached lookup thread.
struct Lookup {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  bool abandoned = false;
  int rc = 0;
  addrinfo* result = nullptr;
};

}  // namespace

int RemainingMs(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

std::vector<SocketAddress> Resolve(const std::string& host, int port, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  const std::string service = std::to_string(port);
  if (IsIpLiteral(host)) {
    hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
    addrinfo* list = nullptr;
    const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
    if (rc != 0)
      throw ProbeFailure(ProbeStage::kDns, "bad address " + host + ": " + gai_strerror(rc));
    std::vector<SocketAddress> out = CopyAddresses(list);
    freeaddrinfo(list);
    return out;
  }
  // getaddrinfo has no timeout: run it on a thread that may outlive us.
  auto lookup = std::make_shared<Lookup>();
  try {
    std::thread([lookup, host, service, hints] {
      addrinfo* list = nullptr;
      const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
      std::lock_guard lock(lookup->mutex);
      if (lookup->abandoned) {
        if (list != nullptr) freeaddrinfo(list);
        return;
      }
      lookup->rc = rc;
      lookup->result = list;
      lookup->done = true;
      lookup->done_cv.notify_all();
    }).detach();
  } catch (const std::system_error&) {
    throw ProbeFailure(ProbeStage::kDns, "cannot start a lookup thread for " + host);
  }
  std::unique_lock lock(lookup->mutex);
  if (!lookup->done_cv.wait_until(lock, deadline, [&] { return lookup->done; })) {
    lookup->abandoned = true;
    throw ProbeFailure(ProbeStage::kDns, "lookup of " + host + " timed out");
  }
  if (lookup->rc != 0) {
    throw ProbeFailure(ProbeStage::kDns,
                       "cannot resolve " + host + ": " + gai_strerror(lookup->rc));
  }
  std::vector<SocketAddress> out = CopyAddresses(lookup->result);
  freeaddrinfo(lookup->result);
  if (out.empty()) throw ProbeFailure(ProbeStage::kDns, host + " has no IPv4 or IPv6 address");
  return out;
}

Connection::~Connection() { Close(); }

void Connection::Connect(const std::vector<SocketAddress>& addresses, Clock::time_point deadline) {
  std::string errors;
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    const SocketAddress& address = addresses[i];
    // An equal share of what is left, so one black-holed address cannot eat
    // the time of the next (e.g. ::1 and 127.0.0.1 for localhost).
    const auto left = deadline - Clock::now();
    const auto share =
        std::max(Clock::duration::zero(), left / static_cast<long>(addresses.size() - i));
    const Clock::time_point attempt_deadline = Clock::now() + share;
    const int fd = socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      errors += (errors.empty() ? "" : "; ") + address.text + ": " + Errno(errno);
      continue;
    }
    fd_ = fd;
    int error = 0;
    if (connect(fd, reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0) {
      error = errno;
      if (error == EINPROGRESS) {
        if (!WaitFor(POLLOUT, attempt_deadline)) {
          error = ETIMEDOUT;
        } else {
          socklen_t length = sizeof error;
          if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
        }
      }
    }
    if (error == 0) {
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      address_ = address.text;
      return;
    }
    close(fd);
    fd_ = -1;
    errors += (errors.empty() ? "" : "; ") + address.text + ": " +
              (error == ETIMEDOUT ? std::string("connect timed out") : Errno(error));
  }
  throw ProbeFailure(ProbeStage::kTcp, "cannot connect to " + errors);
}

bool Connection::WaitFor(short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd_, events, 0};
    const int rc = poll(&p, 1, RemainingMs(deadline));
    if (rc > 0) return true;  // ready, or an error the next call reports
    if (rc == 0) return false;
    if (errno != EINTR) return true;
  }
}

Connection::IoStatus Connection::WriteAll(std::string_view data, Clock::time_point deadline,
                                          std::string* error) {
  while (!data.empty()) {
    if (ssl_ != nullptr) {
      std::size_t written = 0;
      ERR_clear_error();
      const int rc = SSL_write_ex(ssl_, data.data(), data.size(), &written);
      if (rc == 1) {
        data.remove_prefix(written);
        continue;
      }
      IoStatus status = IoStatus::kOk;
      if (!TlsRetry(rc, deadline, &status, error)) return status;
      continue;
    }
    const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!WaitFor(POLLOUT, deadline)) return IoStatus::kTimeout;
    } else if (errno == EPIPE || errno == ECONNRESET) {
      return IoStatus::kClosed;
    } else if (errno != EINTR) {
      *error = Errno(errno);
      return IoStatus::kError;
    }
  }
  return IoStatus::kOk;
}

Connection::IoStatus Connection::ReadExact(char* out, std::size_t size, Clock::time_point deadline,
                                           std::string* error) {
  while (size > 0) {
    if (ssl_ != nullptr) {
      std::size_t got = 0;
      ERR_clear_error();
      const int rc = SSL_read_ex(ssl_, out, size, &got);
      if (rc == 1) {
        out += got;
        size -= got;
        continue;
      }
      IoStatus status = IoStatus::kOk;
      if (!TlsRetry(rc, deadline, &status, error)) return status;
      continue;
    }
    const ssize_t n = recv(fd_, out, size, 0);
    if (n > 0) {
      out += n;
      size -= static_cast<std::size_t>(n);
    } else if (n == 0) {
      return IoStatus::kClosed;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!WaitFor(POLLIN, deadline)) return IoStatus::kTimeout;
    } else if (errno == ECONNRESET) {
      return IoStatus::kClosed;
    } else if (errno != EINTR) {
      *error = Errno(errno);
      return IoStatus::kError;
    }
  }
  return IoStatus::kOk;
}

void Connection::Close() {
  if (ssl_ != nullptr) {
    if (fd_ >= 0) SSL_shutdown(ssl_);  // sends close_notify; never waits (non-blocking)
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (ctx_ != nullptr) {
    SSL_CTX_free(ctx_);
    ctx_ = nullptr;
  }
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  ERR_clear_error();
}

ScopedSigpipeBlock::ScopedSigpipeBlock() {
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask_);
  sigset_t pending;
  sigpending(&pending);
  was_pending_ = sigismember(&pending, SIGPIPE) == 1;
}

ScopedSigpipeBlock::~ScopedSigpipeBlock() {
  if (!was_pending_) {
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) == 1) {
      sigset_t pipe_only;
      sigemptyset(&pipe_only);
      sigaddset(&pipe_only, SIGPIPE);
      const timespec no_wait{};
      sigtimedwait(&pipe_only, nullptr, &no_wait);
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

}  // namespace switchboard::probe
