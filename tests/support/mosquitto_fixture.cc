#include "mosquitto_fixture.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

#include "probe/broker_probe.h"
#include "process.h"
#include "test_database.h"

namespace switchboard::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kWaitBound = std::chrono::seconds(10);

std::string MosquittoPath() {
  if (access("/usr/sbin/mosquitto", X_OK) == 0) return "/usr/sbin/mosquitto";
  const auto found = RunCommand("command -v mosquitto");
  std::string path = found.output;
  while (!path.empty() && (path.back() == '\n' || path.back() == '\r')) path.pop_back();
  return found.exit_code == 0 ? path : "";
}

// Mosquitto's environment: the test's, plus what a sanitized plugin needs.
std::vector<std::string> MosquittoEnvironment() {
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) environment.emplace_back(*entry);
#ifdef SWITCHBOARD_SANITIZER_RUNTIME
  // SANITIZE=1 builds the Switchboard plugin with AddressSanitizer, whose
  // runtime must be the first library of a process: Debian's uninstrumented
  // Mosquitto gets it preloaded, or it dies loading the plugin. Its leaks at
  // exit are Mosquitto's own, not checked.
  std::erase_if(environment, [](const std::string& entry) {
    return entry.starts_with("LD_PRELOAD=") || entry.starts_with("ASAN_OPTIONS=");
  });
  environment.push_back(std::string("LD_PRELOAD=") + SWITCHBOARD_SANITIZER_RUNTIME);
  const char* options = std::getenv("ASAN_OPTIONS");
  environment.push_back(std::string("ASAN_OPTIONS=") + (options ? options : "") +
                        ":detect_leaks=0");
#endif
  return environment;
}

void Openssl(const std::string& arguments) {
  const auto result = RunCommand("openssl " + arguments);
  if (result.exit_code != 0) {
    throw std::runtime_error("openssl " + arguments + " failed:\n" + result.output);
  }
}

// A minimal openssl config: no dependency on the system's openssl.cnf.
std::string OpensslConfig(const std::string& common_name) {
  return "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = " + common_name +
         "\n[ca_ext]\nbasicConstraints = critical,CA:TRUE\n"
         "keyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\n"
         "[server_ext]\nbasicConstraints = CA:FALSE\n"
         "keyUsage = critical,digitalSignature,keyEncipherment\n"
         "extendedKeyUsage = serverAuth\nsubjectAltName = DNS:localhost,IP:127.0.0.1\n"
         "authorityKeyIdentifier = keyid\n";
}

void MakeCa(const std::string& dir, const std::string& name, const std::string& common_name) {
  const std::string config = dir + "/" + name + ".cnf";
  WriteFile(config, OpensslConfig(common_name));
  Openssl(
      "req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -config " +
      ShellQuote(config) + " -extensions ca_ext -keyout " + ShellQuote(dir + "/" + name + ".key") +
      " -out " + ShellQuote(dir + "/" + name + ".crt"));
}

bool TcpAccepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return ok;
}

}  // namespace

TestPki TestPki::Generate(const std::string& dir) {
  std::filesystem::create_directories(dir);
  MakeCa(dir, "ca", "Switchboard Test CA");
  MakeCa(dir, "other-ca", "Unrelated Test CA");
  const std::string config = dir + "/server.cnf";
  WriteFile(config, OpensslConfig("localhost"));
  Openssl("req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -config " +
          ShellQuote(config) + " -keyout " + ShellQuote(dir + "/server.key") + " -out " +
          ShellQuote(dir + "/server.csr"));
  Openssl("x509 -req -days 2 -in " + ShellQuote(dir + "/server.csr") + " -CA " +
          ShellQuote(dir + "/ca.crt") + " -CAkey " + ShellQuote(dir + "/ca.key") +
          " -CAcreateserial -CAserial " + ShellQuote(dir + "/ca.srl") + " -extfile " +
          ShellQuote(config) + " -extensions server_ext -out " + ShellQuote(dir + "/server.crt"));
  return {dir + "/ca.crt", dir + "/ca.key", dir + "/server.crt", dir + "/server.key",
          dir + "/other-ca.crt"};
}

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    throw std::runtime_error("cannot bind a loopback port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

bool MosquittoAvailable() { return !MosquittoPath().empty(); }

MosquittoBroker::MosquittoBroker(const TestPki& pki, std::string password_file,
                                 std::string acl_file)
    : pki_(pki), password_file_(std::move(password_file)), acl_file_(std::move(acl_file)) {
  dir_ = std::filesystem::path(password_file_).parent_path().string();
  if (dir_.empty()) dir_ = ".";
  config_path_ = dir_ + "/mosquitto.conf";
  log_path_ = dir_ + "/mosquitto.log";
}

MosquittoBroker::~MosquittoBroker() { Stop(); }

void MosquittoBroker::WriteConfig() const {
  std::string config =
      "# Written by the Switchboard test fixture (tests/support/mosquitto_fixture.cc).\n"
      "per_listener_settings false\n"
      "allow_anonymous false\n" +
      (security_config_.empty()
           ? "password_file " + password_file_ + "\nacl_file " + acl_file_ + "\n"
           : security_config_) +
      "persistence false\n"
      "log_dest stderr\n"
      "log_type all\n"
      "connection_messages true\n";
  // As root, Mosquitto would switch to the `mosquitto` user before reading
  // the 0600 root-owned key, password and ACL files.
  if (geteuid() == 0) config += "user root\n";
  config += "\nlistener " + std::to_string(plain_port_) + " 127.0.0.1\n";
  config += "\nlistener " + std::to_string(tls_port_) + " 127.0.0.1\n" + "cafile " + pki_.ca_cert +
            "\ncertfile " + pki_.server_cert + "\nkeyfile " + pki_.server_key +
            "\nrequire_certificate false\n";
  WriteFile(config_path_, config);
}

void MosquittoBroker::Start() {
  if (running()) throw std::logic_error("MosquittoBroker::Start: already running");
  const std::string binary = MosquittoPath();
  if (binary.empty()) throw std::runtime_error("mosquitto is not installed (scripts/setup)");
  for (const auto& file : {password_file_, acl_file_}) {
    if (security_config_.empty() && !std::filesystem::exists(file)) WriteFile(file, "");
  }
  std::string why;
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (TryStart(&why)) return;
  }
  Fail("mosquitto did not start: " + why);
}

void MosquittoBroker::StartOnSamePorts() {
  if (running()) throw std::logic_error("MosquittoBroker::StartOnSamePorts: already running");
  if (plain_port_ == 0) throw std::logic_error("MosquittoBroker::StartOnSamePorts: never started");
  std::string why;
  if (!TryStart(&why, true)) Fail("mosquitto did not start again on its ports: " + why);
}

bool MosquittoBroker::TryStart(std::string* why, bool keep_ports) {
  if (!keep_ports) {
    plain_port_ = FreeLoopbackPort();
    do {
      tls_port_ = FreeLoopbackPort();
    } while (tls_port_ == plain_port_);
  }
  WriteConfig();
  const std::string binary = MosquittoPath();
  const int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) throw std::runtime_error("cannot open " + log_path_);
  std::vector<std::string> environment = MosquittoEnvironment();
  std::vector<char*> envp;
  for (std::string& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    execle(binary.c_str(), "mosquitto", "-c", config_path_.c_str(), static_cast<char*>(nullptr),
           envp.data());
    _exit(127);
  }
  close(log_fd);
  close(null_fd);
  pid_ = pid;
  const auto deadline = Clock::now() + kWaitBound;
  while (Clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *why = "it exited (status " + std::to_string(status) + ")";
      return false;
    }
    if (TcpAccepts(plain_port_) && TcpAccepts(tls_port_)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Stop();
  *why = "its listeners did not accept connections within 10 s";
  return false;
}

void MosquittoBroker::Reload() {
  if (!running()) throw std::logic_error("MosquittoBroker::Reload: not running");
  const int before = CountInLog("Reloading config");
  if (kill(pid_, SIGHUP) != 0) Fail("cannot send SIGHUP");
  const auto deadline = Clock::now() + kWaitBound;
  while (CountInLog("Reloading config") <= before) {
    if (Clock::now() >= deadline) Fail("mosquitto did not log 'Reloading config' within 10 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Mosquitto reloads inside one iteration of its single-threaded loop, so a
  // CONNACK to a connection made after the log line means the files are read.
  BrokerConfig plain;
  plain.host = "127.0.0.1";
  plain.port = plain_port_;
  plain.client_id_prefix = "fixture-reload-";
  while (!ProbeBroker(plain, std::chrono::milliseconds(1000)).connack_code) {
    if (Clock::now() >= deadline) Fail("mosquitto did not answer CONNECT after SIGHUP");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void MosquittoBroker::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (Clock::now() >= deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
}

bool MosquittoBroker::Alive() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string MosquittoBroker::Log() const {
  return std::filesystem::exists(log_path_) ? ReadFile(log_path_) : "";
}

bool MosquittoBroker::WaitForLog(const std::string& needle,
                                 std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  while (Log().find(needle) == std::string::npos) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

int MosquittoBroker::CountInLog(const std::string& needle) const {
  const std::string log = Log();
  int count = 0;
  for (auto at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++count;
  return count;
}

void MosquittoBroker::Fail(const std::string& what) const {
  std::string log = Log();
  if (log.size() > 4000) log = "…" + log.substr(log.size() - 4000);
  throw std::runtime_error(what + "\n--- " + log_path_ + " ---\n" + log);
}

}  // namespace switchboard::testing
