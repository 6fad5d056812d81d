// Transport for the broker probe (broker_probe.h): DNS, non-blocking TCP and
// OpenSSL TLS (probe_tls.cc), every step bounded by one deadline. Internal
// to the probe.
//
// Each failing step throws ProbeFailure carrying the stage and a one-line
// message that starts with the stage name; ProbeBroker turns it into a
// result. Messages never contain secrets (no password, key or PEM content).
// Not thread-safe per object; independent objects may be used concurrently.
#pragma once

#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "probe/broker_probe.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace switchboard::probe {

using Clock = std::chrono::steady_clock;

class ProbeFailure : public std::runtime_error {
 public:
  ProbeFailure(ProbeStage stage, const std::string& message)
      : std::runtime_error(std::string(ProbeStageName(stage)) + ": " + message), stage_(stage) {}
  ProbeStage stage() const { return stage_; }

 private:
  ProbeStage stage_;
};

// Milliseconds left until `deadline`, never negative.
int RemainingMs(Clock::time_point deadline);

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  std::string text;  // "1.2.3.4:1883" or "[::1]:1883"
};

// True when `host` is an IPv4 or IPv6 literal (IPv6 without brackets).
bool IsIpLiteral(const std::string& host);

// Resolves host:port (stage dns). IP literals never touch the resolver; a
// name lookup runs on a detached thread so the wait is bounded.
std::vector<SocketAddress> Resolve(const std::string& host, int port, Clock::time_point deadline);

// TLS settings taken from the broker row.
struct TlsSettings {
  bool verify = true;
  std::string ca_pem;  // empty: the system trust store
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string host;  // SNI and the name (or IP) checked against the certificate
};

// One connection: a TCP socket, optionally wrapped in TLS.
class Connection {
 public:
  Connection() = default;
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Checks the TLS settings and builds the TLS context (stage tls) before
  // any network traffic, so a bad ca_cert fails fast.
  void PrepareTls(const TlsSettings& settings);

  // Connects to the addresses in order (stage tcp), giving each an equal
  // share of the time left.
  void Connect(const std::vector<SocketAddress>& addresses, Clock::time_point deadline);

  // TLS handshake and certificate verification (stage tls). REQUIRES
  // PrepareTls() and Connect().
  void Handshake(Clock::time_point deadline);

  enum class IoStatus { kOk, kClosed, kTimeout, kError };
  // Writes all of `data`; on kError `error` says why.
  IoStatus WriteAll(std::string_view data, Clock::time_point deadline, std::string* error);
  // Reads exactly `size` bytes into `out`.
  IoStatus ReadExact(char* out, std::size_t size, Clock::time_point deadline, std::string* error);

  // Best effort: TLS close_notify (no waiting) and close.
  void Close();

  const std::string& address() const { return address_; }

 private:
  bool WaitFor(short events, Clock::time_point deadline);
  // Maps an OpenSSL I/O result: true to retry after waiting, false when done
  // with `status` set.
  bool TlsRetry(int rc, Clock::time_point deadline, IoStatus* status, std::string* error);

  int fd_ = -1;
  std::string address_;
  std::string host_;
  bool verify_ = true;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

// Blocks SIGPIPE in the calling thread for its lifetime and discards a
// SIGPIPE raised meanwhile (OpenSSL writes with write(), not MSG_NOSIGNAL).
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock();
  ~ScopedSigpipeBlock();
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  sigset_t old_mask_{};
  bool was_pending_ = false;
};

}  // namespace switchboard::probe
