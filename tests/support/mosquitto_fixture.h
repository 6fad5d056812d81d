// A real Mosquitto broker (Debian's 2.0.11) and a throwaway PKI for tests.
//
// Typical use:
//   TempDir dir;
//   const TestPki pki = TestPki::Generate(dir.path() + "/pki");
//   MosquittoBroker broker(pki, dir.path() + "/passwd", dir.path() + "/acl");
//   broker.Start();                   // both listeners accept connections
//   ... rewrite the password / ACL files ...
//   broker.Reload();                  // SIGHUP, returns once they are re-read
//   // the destructor stops and reaps the broker
//
// Everything waits with a bound (10 s at most) and throws std::runtime_error,
// with the broker's log attached, when the bound is hit. Not thread-safe: use
// an object from one thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

namespace switchboard::testing {

// Certificates made with the `openssl` command line (EC P-256, valid two
// days) in a directory of the caller's. All members are file paths.
struct TestPki {
  std::string ca_cert;  // self-signed test CA
  std::string ca_key;
  std::string server_cert;  // CN=localhost, SAN DNS:localhost + IP:127.0.0.1, signed by ca
  std::string server_key;
  std::string other_ca_cert;  // a second CA that signed nothing here

  // Creates `dir` if needed and writes the files there. Throws
  // std::runtime_error with openssl's output on failure.
  static TestPki Generate(const std::string& dir);
};

// A free TCP port on 127.0.0.1 at the time of the call (bind to port 0,
// read it back, close). Another process may take it before it is used.
int FreeLoopbackPort();

// True when `mosquitto` (/usr/sbin/mosquitto or on PATH) can be run.
bool MosquittoAvailable();

// One `mosquitto` process, with `allow_anonymous false`, the given password
// and ACL files, persistence off, and two listeners on 127.0.0.1: plain MQTT
// on plain_port() and MQTT over TLS (the PKI's server certificate; no client
// certificate required) on tls_port(). The config and log live in the
// directory of `password_file`. Missing password/ACL files are created empty
// (Mosquitto refuses to start without them). Run as root, the config says
// `user root` so the broker can read 0600 files owned by root (PITFALLS).
// The broker dies with the test process (PR_SET_PDEATHSIG).
class MosquittoBroker {
 public:
  MosquittoBroker(const TestPki& pki, std::string password_file, std::string acl_file);
  ~MosquittoBroker();  // Stop()
  MosquittoBroker(const MosquittoBroker&) = delete;
  MosquittoBroker& operator=(const MosquittoBroker&) = delete;

  // Replaces the `password_file` / `acl_file` lines of the config with
  // `lines` (e.g. a `plugin` and its `plugin_opt_*` lines), for a broker
  // whose clients a plugin admits. Call before Start().
  void SetSecurityConfig(std::string lines) { security_config_ = std::move(lines); }
  // The TLS listener's certificate and key (PEM file paths) from the next
  // Start() or StartOnSamePorts() on: a broker whose operator switched its
  // server certificate. Default: the PKI's server_cert and server_key.
  void SetServerCertificate(std::string cert_file, std::string key_file) {
    pki_.server_cert = std::move(cert_file);
    pki_.server_key = std::move(key_file);
  }

  // Picks free ports, starts the broker and waits until both listeners
  // accept TCP connections. Retries with new ports when one was taken.
  void Start();
  // Starts a stopped broker again on the ports it had, as a broker back from
  // an outage. Throws (with the log) when one of them was taken meanwhile.
  // REQUIRES: Start() succeeded before.
  void StartOnSamePorts();
  // True while the process has not exited (it is reaped if it has).
  bool Alive();
  // SIGHUP, then waits for the log's "Reloading config" line and for an
  // MQTT CONNECT on the plain port to be answered (so the reload is done).
  void Reload();
  // SIGTERM, reaps it (SIGKILL after 5 s). No-op when not running.
  void Stop();

  bool running() const { return pid_ > 0; }
  int plain_port() const { return plain_port_; }
  int tls_port() const { return tls_port_; }
  const std::string& log_path() const { return log_path_; }
  // The files given to the constructor (what an export writes).
  const std::string& password_file() const { return password_file_; }
  const std::string& acl_file() const { return acl_file_; }
  std::string Log() const;  // the broker's log so far
  // Whether `needle` is in the log within `timeout`: Mosquitto logs a
  // client's DISCONNECT after it forwarded the messages before it, so a
  // test that saw the last message must still wait for the line.
  bool WaitForLog(const std::string& needle, std::chrono::milliseconds timeout) const;

 private:
  bool TryStart(std::string* why, bool keep_ports = false);
  void WriteConfig() const;
  int CountInLog(const std::string& needle) const;
  [[noreturn]] void Fail(const std::string& what) const;

  TestPki pki_;
  std::string password_file_;
  std::string acl_file_;
  std::string security_config_;
  std::string dir_;
  std::string config_path_;
  std::string log_path_;
  pid_t pid_ = -1;
  int plain_port_ = 0;
  int tls_port_ = 0;
};

}  // namespace switchboard::testing
