// The real `switchboard-agent` binary as a child process of a test: its
// stdout and stderr go to a log file, it dies with the test process, and
// every wait is bounded. Not thread-safe: use an object from one thread.
//
//   AgentProcess agent({"--server", url, "--provisioning-key-file", key, "--state-dir", dir});
//   ASSERT_TRUE(agent.WaitForLog("connected", 20s)) << agent.Log();
//   EXPECT_EQ(agent.Stop(SIGTERM), 0);
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace switchboard::testing {

// Path of the built switchboard-agent.
std::string AgentBinary();

class AgentProcess {
 public:
  // Starts the binary with `args` and `log_path` for its output.
  AgentProcess(const std::vector<std::string>& args, std::string log_path);
  ~AgentProcess();  // SIGKILL and reap when still running
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  std::string Log() const;
  // True once `needle` is in the log (within `timeout`).
  bool WaitForLog(const std::string& needle, std::chrono::milliseconds timeout) const;
  // The exit code when the process ends within `timeout` (128 + signal when
  // killed by one), nullopt otherwise (it keeps running).
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);
  // Sends `signal`, waits at most 20 s (then SIGKILL); the exit code.
  int Stop(int signal);
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

}  // namespace switchboard::testing
