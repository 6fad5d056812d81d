// switchboard-agent: the reference device agent (agent/README.md).
#include <curl/curl.h>
#include <mosquitto.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "agent.h"
#include "event_log.h"
#include "options.h"
#include "state_file.h"
#include "waker.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
switchboard::agent::Waker* g_waker = nullptr;

void OnStopSignal(int) {
  g_stop = 1;
  if (g_waker != nullptr) g_waker->Notify();
}

int PrintState(const switchboard::agent::Options& options) {
  using switchboard::agent::StateFile;
  try {
    const StateFile file(options.state_dir);
    const auto state = file.Load();
    if (!state) {
      std::fprintf(stderr, "switchboard-agent: no state file %s yet\n", file.path().c_str());
      return 1;
    }
    const std::string text = StateFile::Describe(*state);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  } catch (const switchboard::agent::StateFileError& error) {
    std::fprintf(stderr, "switchboard-agent: %s\n", error.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace switchboard::agent;
  std::string error;
  const std::optional<Options> options =
      ParseOptions(std::vector<std::string>(argv + 1, argv + argc), &error);
  if (!options) {
    std::fprintf(stderr, "switchboard-agent: %s\n\n%s", error.c_str(), UsageText().c_str());
    return 2;
  }
  if (options->help) {
    std::fputs(UsageText().c_str(), stdout);
    return 0;
  }
  if (options->version) {
    std::printf("switchboard-agent %s\n", kAgentVersion);
    return 0;
  }
  if (options->print_state) return PrintState(*options);

  // OpenSSL (through libmosquitto and libcurl) may write to a closed socket.
  std::signal(SIGPIPE, SIG_IGN);
  Waker waker;
  g_waker = &waker;
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    std::fprintf(stderr, "switchboard-agent: curl_global_init failed\n");
    return 1;
  }
  mosquitto_lib_init();
  EventLog log(options->log_format);
  int status = 1;
  {
    Agent agent(*options, log, waker, g_stop);
    status = agent.Run();
  }
  mosquitto_lib_cleanup();
  curl_global_cleanup();
  return status;
}
