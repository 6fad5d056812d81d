#include <sys/resource.h>

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <memory>

#include "api/admin_panel.h"
#include "api/route_table.h"
#include "app.h"
#include "cli/cli_args.h"
#include "cli/cli_commands.h"
#include "config/config.h"
#include "http/http_server.h"
#include "http/request_log.h"
#include "http/signals.h"
#include "storage/sqlite_file.h"
#include "util/log.h"

namespace switchboard::cli {
namespace {

// The soft descriptor limit of this process (RLIM_INFINITY as the largest
// value).
std::uint64_t OpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  return limit.rlim_cur == RLIM_INFINITY ? ~std::uint64_t{0} : limit.rlim_cur;
}

// server.max_connections, or its default from the descriptor limit; warns
// when a configured cap leaves storage too few descriptors.
std::size_t MaxConnections(const Config& config, Logger& log) {
  const std::uint64_t files = OpenFileLimit();
  const int fitting = DefaultMaxConnections(files, config);
  if (!config.server.max_connections) return static_cast<std::size_t>(fitting);
  const int configured = *config.server.max_connections;
  if (configured > fitting) {
    log.Warn("server.max_connections " + std::to_string(configured) +
             " is more than the descriptor limit (RLIMIT_NOFILE " + std::to_string(files) +
             ") leaves after storage's " + std::to_string(DescriptorReserve(config)) +
             ": a flood may leave storage without descriptors; raise the limit or lower the cap "
             "to " +
             std::to_string(fitting));
  }
  return static_cast<std::size_t>(configured);
}

http::HttpServerOptions ServerOptions(const ServerConfig& server) {
  http::HttpServerOptions options;
  options.address = server.listen;
  options.threads = server.threads;
  options.max_body_bytes = server.max_body_bytes;
  options.header_timeout = server.header_timeout;
  options.body_timeout = server.body_timeout;
  options.keepalive_timeout = server.keepalive_timeout;
  options.trusted_proxies = server.trusted_proxies;
  if (server.tls) {
    options.tls_cert_file = server.tls->cert;
    options.tls_key_file = server.tls->key;
  }
  return options;
}

std::string ChainSummary(const Chain& chain) {
  std::string out;
  for (const StepDescription& step : chain.Describe()) {
    out += (out.empty() ? "" : " -> ") + step.name;
  }
  return out;
}

}  // namespace

int RunServe(const Args& args) {
  try {
    std::vector<OptionSpec> specs = CommonOptions();
    specs.push_back({"create-database", false,
                     "SQLite: create the database file when it does not exist (without it a "
                     "missing file leaves the server unready)"});
    CliArgs options(args, specs);
    if (options.Has("help")) {
      std::cout << "Usage: switchboard serve [--config FILE]\n\n"
                   "Serves the HTTP API (docs/api.md). Applies pending migrations first when\n"
                   "storage.auto_migrate is true. SIGHUP reloads the resolver chain from the\n"
                   "file; SIGINT/SIGTERM stop after in-flight requests finish.\n\n"
                   "SQLite: a database file that does not exist is not created (run\n"
                   "`switchboard migrate` first, or pass --create-database): the server\n"
                   "starts unready instead. A second serve on the same file refuses to start.\n\n"
                << options.OptionsHelp();
      return 0;
    }
    // Before any thread exists, so Pistache's threads never take these.
    http::BlockServerSignals();
    StderrLogger& log = ProcessLogger();
    Config config = LoadConfigFile(options.Value("config", kDefaultConfigPath));
    log.SetFormat(config.server.log_format);
    config.storage.create_missing_database = options.Has("create-database");
    // Before anything touches the file: one serving process per SQLite file.
    std::unique_ptr<SqliteServeLock> sqlite_lock;
    if (const std::string file = SqliteFilePath(config.storage.url); !file.empty()) {
      const auto folder = std::filesystem::path(file).parent_path();
      std::error_code error;
      if (config.storage.create_missing_database && !folder.empty()) {
        std::filesystem::create_directories(folder, error);
      }
      // No folder, no database: the server starts unready and says why.
      if (folder.empty() || std::filesystem::is_directory(folder, error)) {
        sqlite_lock = SqliteServeLock::Acquire(file);
      }
    }
    App app(config, log);
    if (!app.admin_token_configured()) {
      log.Warn(
          "no admin token configured (server.admin_token_file or SWITCHBOARD_ADMIN_TOKEN): "
          "the operator API answers 401");
    }
    // Before the server: its handlers point into the panel's files.
    const auto panel = LoadAdminPanel(config.server, log);
    http::HttpServerOptions server_options = ServerOptions(config.server);
    server_options.max_connections = MaxConnections(config, log);
    http::HttpServer server(server_options, log);
    InstallRoutes(server, app);
    server.SetRequestLog(http::RequestLogTo(log));
    if (panel) InstallAdminPanel(server, *panel);
    server.Serve();
    app.StartHealthMonitor();

    const std::string scheme = config.server.tls ? "https" : "http";
    const std::string host = config.server.listen.substr(0, config.server.listen.rfind(':'));
    const std::string local = (host == "0.0.0.0" || host == "[::]") ? "127.0.0.1" : host;
    std::cout << "switchboard: listening on " << scheme << "://" << host << ':' << server.port()
              << " (" << config.server.threads << " threads, at most "
              << server_options.max_connections << " connections; storage "
              << app.storage().RedactedUrl() << "; chain " << ChainSummary(*app.chain()) << ")\n"
              << "  try: curl " << scheme << "://" << local << ':' << server.port() << "/readyz\n"
              << "  then: docs/api.md (create a key, add a broker, register a device)\n";
    if (panel) {
      const std::string token_source = !config.server.admin_token.empty()
                                           ? "SWITCHBOARD_ADMIN_TOKEN"
                                           : config.server.admin_token_file;
      std::cout << "  admin panel: " << scheme << "://" << local << ':' << server.port()
                << "/admin/"
                << (token_source.empty()
                        ? ""
                        : " (log in with the admin token from " + token_source + ")")
                << '\n';
    }
    std::cout << std::flush;

    const int signal_number = http::WaitForTermination([&app] { app.Reload(); });
    log.Info("signal " + std::to_string(signal_number) + ": draining in-flight requests");
    server.Shutdown();
    if (HealthMonitor* monitor = app.health_monitor()) monitor->Stop();
    log.Info("stopped");
    return 0;
  } catch (const UsageError& e) {
    std::cerr << "switchboard serve: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "switchboard serve: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace switchboard::cli
