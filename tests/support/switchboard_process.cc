#include "switchboard_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "process.h"

namespace switchboard::testing {
namespace {

using namespace std::chrono_literals;

int WaitExit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(10ms);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return 128 + SIGKILL;
}

}  // namespace

std::unique_ptr<SwitchboardProcess> SwitchboardProcess::Start(
    const SwitchboardProcessOptions& options) {
  std::unique_ptr<SwitchboardProcess> process(new SwitchboardProcess());
  process->config_path_ = process->dir_.path() + "/switchboard.yaml";
  process->log_path_ = process->dir_.path() + "/switchboard.log";
  std::string yaml =
      "server:\n  listen: 127.0.0.1:0\n  threads: " + std::to_string(options.threads) + "\n" +
      // Most suites send wrong credentials on purpose, many from one address:
      // the failure limit is tested on its own (auth_failure_limit_test.cc).
      (options.server_yaml.find("auth_failures") == std::string::npos
           ? "  auth_failures: {burst: 100000}\n"
           : "") +
      options.server_yaml + "storage:\n  url: \"" + options.database_url + "\"\n  pool_size: 8\n" +
      options.storage_yaml;
  yaml += options.resolution_yaml.empty()
              ? std::string("resolution:\n  plugin_dirs: [\"") + SWITCHBOARD_PLUGIN_DIR + "\"]\n"
              : options.resolution_yaml;
  yaml += options.extra_yaml;
  // The health monitor probes on its own schedule and changes what broker
  // reads say: off unless the test configures it.
  const std::string& extra = options.extra_yaml;
  if (extra.rfind("health:", 0) != 0 && extra.find("\nhealth:") == std::string::npos) {
    yaml += "health:\n  enabled: false\n";
  }
  WriteFile(process->config_path_, yaml);

  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    // A test binary that crashes must not leave a server behind.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int fd = open(process->log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
    setenv("SWITCHBOARD_ADMIN_TOKEN", kTestAdminToken, 1);
    unsetenv("SWITCHBOARD_DATABASE_URL");
    unsetenv("SWITCHBOARD_LISTEN");
    for (const auto& [name, value] : options.environment) setenv(name.c_str(), value.c_str(), 1);
    const std::string binary = SwitchboardBinary();
    execl(binary.c_str(), binary.c_str(), "serve", "--config", process->config_path_.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  process->pid_ = pid;

  static const std::regex listening("listening on https?://[^ ]*:([0-9]+) ");
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch match;
    const std::string log = process->Log();
    if (std::regex_search(log, match, listening)) {
      process->port_ = static_cast<std::uint16_t>(std::stoi(match[1].str()));
      break;
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      process->pid_ = -1;
      throw std::runtime_error("switchboard serve exited early:\n" + log);
    }
    std::this_thread::sleep_for(20ms);
  }
  if (process->port_ == 0) {
    throw std::runtime_error("switchboard serve did not listen within 20 s:\n" + process->Log());
  }
  while (options.wait_ready && std::chrono::steady_clock::now() < deadline) {
    try {
      if (OneShot(process->port_, "GET", "/readyz").status == 200) return process;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(50ms);
  }
  if (options.wait_ready) {
    throw std::runtime_error("switchboard serve not ready within 20 s:\n" + process->Log());
  }
  return process;
}

SwitchboardProcess::~SwitchboardProcess() {
  if (pid_ > 0) Stop(SIGKILL);
  const std::string report = SanitizerReport(Log());
  if (!report.empty()) ADD_FAILURE() << "switchboard serve (" << log_path_ << "):\n" << report;
}

std::string SwitchboardProcess::Log() const { return ReadFile(log_path_); }

void SwitchboardProcess::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

int SwitchboardProcess::Stop(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  const int code = WaitExit(pid_, 30s);
  pid_ = -1;
  return code;
}

HttpResponse SwitchboardProcess::Admin(std::string_view method, std::string_view target,
                                       std::string_view json_body) const {
  Headers headers = {{"Authorization", std::string("Bearer ") + kTestAdminToken}};
  if (!json_body.empty()) headers.push_back({"Content-Type", "application/json"});
  return OneShot(port_, method, target, headers, json_body);
}

void ServedDatabaseTest::SetUp() {
  DatabaseTest::SetUp();
  if (IsSkipped() || HasFatalFailure()) return;
  server_ = SwitchboardProcess::Start(ServeOptions(url()));
}

void ServedDatabaseTest::TearDown() {
  server_.reset();
  DatabaseTest::TearDown();
}

}  // namespace switchboard::testing
