// The health monitor's own cost: N brokers, all pointing at a local listener
// that answers CONNACK (tests/support/connack_listener.h, in a child process
// so its CPU is not counted), probed by one HealthMonitor for a while. Prints
// probes per second and this process's CPU time per probe (user + system:
// the probe's connect and CONNECT/CONNACK, the claim, the record with its
// check row and pruning, the snapshot refresh).
//
//   bench_health [--brokers 1000] [--seconds 10] [--interval 15s]
//                [--timeout 1s] [--concurrency 4] [--url sqlite3://…|postgresql://…]
//
// Without --url a fresh SQLite file in /tmp. A PostgreSQL URL must point at
// an empty database (the brokers are inserted there). docs/benchmarks.md
// has the figures; no test asserts them.
#include <signal.h>
#include <soci/soci.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>

#include "../support/connack_listener.h"
#include "config/duration.h"
#include "health/health_monitor.h"
#include "storage/migrations.h"
#include "storage/storage.h"
#include "util/log.h"

namespace {

using namespace switchboard;

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::chrono::milliseconds DurationArg(const std::string& text) {
  std::string why;
  const auto value = ParseDuration(text, &why);
  if (!value) {
    std::cerr << "bench_health: '" << text << "' " << why << '\n';
    std::exit(2);
  }
  return *value;
}

// Forks a child serving CONNACKs; returns its port. The child exits when
// its parent does (it reads the pipe until EOF).
int StartListener(pid_t* child) {
  int port_pipe[2];
  int hold_pipe[2];
  if (pipe(port_pipe) != 0 || pipe(hold_pipe) != 0) std::exit(1);
  *child = fork();
  if (*child == 0) {
    close(port_pipe[0]);
    close(hold_pipe[1]);
    testing::ConnackListener listener(testing::ConnackListener::Mode::kConnack);
    const int port = listener.port();
    if (write(port_pipe[1], &port, sizeof port) != sizeof port) _exit(1);
    char byte;
    while (read(hold_pipe[0], &byte, 1) > 0) {
    }
    _exit(0);
  }
  close(port_pipe[1]);
  close(hold_pipe[0]);  // hold_pipe[1] stays open for our lifetime
  int port = 0;
  if (read(port_pipe[0], &port, sizeof port) != sizeof port) std::exit(1);
  return port;
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = 1000;
  int seconds = 10;
  int concurrency = 4;
  std::chrono::milliseconds interval{15'000};
  std::chrono::milliseconds timeout{1'000};
  std::string url;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const std::string value = argv[i + 1];
    if (key == "--brokers") {
      brokers = std::stoi(value);
    } else if (key == "--seconds") {
      seconds = std::stoi(value);
    } else if (key == "--interval") {
      interval = DurationArg(value);
    } else if (key == "--timeout") {
      timeout = DurationArg(value);
    } else if (key == "--concurrency") {
      concurrency = std::stoi(value);
    } else if (key == "--url") {
      url = value;
    } else {
      std::cerr << "bench_health: unknown option " << key << '\n';
      return 2;
    }
  }
  std::string db_file;
  if (url.empty()) {
    db_file = "/tmp/bench_health_" + std::to_string(getpid()) + ".db";
    url = "sqlite3://db=" + db_file + " timeout=5";
  }

  pid_t child = -1;
  const int port = StartListener(&child);

  Storage storage(url, 4, std::chrono::milliseconds(5000), 0);
  ApplyMigrations(storage);
  {
    auto lease = storage.Acquire();
    soci::transaction tx(*lease);
    for (int i = 0; i < brokers; ++i) {
      const std::string name = "bench-" + std::to_string(i);
      *lease << "INSERT INTO mqtt_broker_config (name, host, port) VALUES (:n, '127.0.0.1', :p)",
          soci::use(name), soci::use(port);
    }
    tx.commit();
  }

  HealthConfig config;
  config.interval = interval;
  config.timeout = timeout;
  config.concurrency = concurrency;
  std::atomic<long long> probes{0};
  std::atomic<long long> failures{0};
  HealthMonitorHooks hooks;
  hooks.probed = [&](const std::string&, bool ok, double) {
    ++probes;
    if (!ok) ++failures;
  };
  NullLogger log;
  HealthMonitor monitor(storage, config, log, hooks);
  monitor.Start();
  // Warm-up: every broker gets its first probe, the listener its
  // connections; then measure.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const long long probes_before = probes.load();
  const double cpu_before = CpuSeconds();
  const auto wall_before = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  const long long measured = probes.load() - probes_before;
  const double cpu = CpuSeconds() - cpu_before;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
  monitor.Stop();
  kill(child, SIGTERM);
  waitpid(child, nullptr, 0);
  if (!db_file.empty()) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_file + suffix);
  }

  std::printf(
      "backend=%s brokers=%d interval=%s concurrency=%d seconds=%.1f probes=%lld failed=%lld "
      "probes_per_s=%.1f cpu_s=%.3f cpu_per_probe_us=%.0f cpu_share_of_one_core=%.1f%%\n",
      storage.dialect() == Dialect::kSqlite ? "sqlite" : "postgresql", brokers,
      FormatDuration(interval).c_str(), concurrency, wall, measured, failures.load(),
      measured / wall, cpu, measured > 0 ? cpu / measured * 1e6 : 0.0, cpu / wall * 100);
  return failures.load() == 0 ? 0 : 1;
}
