// An App on a scratch SQLite database (the built-in device and default
// plugins in its chain) and an HttpServer with every route of the route
// table on 127.0.0.1, in this process, for the route table and error mapping
// tests.
//
// Make one per suite (SetUpTestSuite): Pistache leaks descriptors per
// Endpoint (upstream #1158). Not thread-safe itself; the server serves
// concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "api/route_table.h"
#include "app.h"
#include "capturing_logger.h"
#include "config/config.h"
#include "http/http_server.h"
#include "switchboard_process.h"
#include "test_database.h"

namespace switchboard::testing {

class InProcessApi {
 public:
  InProcessApi() {
    const std::string file = dir_.path() + "/switchboard.yaml";
    WriteFile(file, "storage:\n  url: \"sqlite3://db=" + dir_.path() +
                        "/switchboard.db timeout=5\"\n"
                        "resolution:\n  plugin_dirs: [\"" SWITCHBOARD_PLUGIN_DIR
                        "\"]\n"
                        "  chain:\n    - plugin: device\n    - plugin: default\n");
    Config config = ParseConfig(ReadFile(file), file);
    config.server.admin_token = kTestAdminToken;
    config.storage.create_missing_database = true;  // a fresh file per test
    // The route table tests send a wrong credential to every route.
    config.server.auth_failures.burst = 100000;
    app_ = std::make_unique<App>(std::move(config), log_);
    http::HttpServerOptions options;
    options.address = "127.0.0.1:0";
    server_ = std::make_unique<http::HttpServer>(options, log_);
    InstallRoutes(*server_, *app_);
    server_->Serve();
  }
  ~InProcessApi() { server_->Shutdown(); }  // before the App its handlers use

  App& app() { return *app_; }
  std::uint16_t port() const { return server_->port(); }
  const CapturingLogger& log() const { return log_; }

 private:
  TempDir dir_;
  CapturingLogger log_;
  std::unique_ptr<App> app_;
  std::unique_ptr<http::HttpServer> server_;
};

}  // namespace switchboard::testing
