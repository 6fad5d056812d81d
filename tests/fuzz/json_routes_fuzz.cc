// libFuzzer target: JSON request bodies through the real route handlers
// (server/api/route_table.cc) of an App on a scratch SQLite database, as
// `serve` builds it. The first input byte picks the route, the rest is the
// body. Every body must end as a response or as an error the API maps to a
// 4xx or 503 (MapCurrentException, as InstallRoutes wraps each handler):
// anything else would reach the client as a 500, and aborts.
//
// Credentials are not under test: handlers are called with a provisioning
// key that does not exist (registration validates its body first), and the
// admin routes are called as the table's wrapper calls them once the token
// was checked.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "api/error_mapping.h"
#include "api/route_table.h"
#include "app.h"
#include "config/config.h"
#include "http/api_error.h"
#include "switchboard/logger.h"

namespace {

class QuietLogger : public switchboard::Logger {
 public:
  void Info(std::string_view) override {}
  void Warn(std::string_view) override {}
  void Error(std::string_view) override {}
};

// Routes whose body is JSON and whose path has no parameter.
constexpr const char* kPaths[] = {"/api/v1/device/register", "/api/v1/mqtt/brokers",
                                  "/api/v1/fleets", "/api/v1/provisioning-keys"};

struct Target {
  QuietLogger log;
  std::unique_ptr<switchboard::App> app;
  const switchboard::Route* routes[std::size(kPaths)] = {};
};

Target* Make() {
  auto* target = new Target();
  char dir[] = "/tmp/switchboard-fuzz-json.XXXXXX";
  if (mkdtemp(dir) == nullptr) std::abort();
  const std::string yaml = std::string("storage:\n  url: \"sqlite3://db=") + dir +
                           "/switchboard.db timeout=5\"\nresolution:\n  plugin_dirs: [\"" +
                           SWITCHBOARD_PLUGIN_DIR +
                           "\"]\n  chain:\n    - plugin: device\n    - plugin: default\n";
  switchboard::Config config = switchboard::ParseConfig(yaml, std::string(dir) + "/fuzz.yaml");
  target->app = std::make_unique<switchboard::App>(std::move(config), target->log);
  for (const switchboard::Route& route : switchboard::RouteTable()) {
    for (std::size_t i = 0; i < std::size(kPaths); ++i) {
      if (std::string_view(route.method) == "POST" &&
          route.pattern == std::string_view(kPaths[i])) {
        target->routes[i] = &route;
      }
    }
  }
  for (const auto* route : target->routes) {
    if (route == nullptr) std::abort();  // the route table changed: update kPaths
  }
  return target;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Target* target = Make();
  if (size == 0) return 0;
  const switchboard::Route& route = *target->routes[data[0] % std::size(kPaths)];
  const switchboard::http::Request request(
      "POST", route.pattern, std::string(reinterpret_cast<const char*>(data + 1), size - 1));
  const std::string credential =
      route.auth == switchboard::RouteAuth::kProvisioningKey ? "fuzz-key-that-does-not-exist" : "";
  try {
    try {
      route.handler(*target->app, request, credential);
    } catch (...) {
      switchboard::MapCurrentException(*target->app);
    }
  } catch (const switchboard::http::ApiError& e) {
    if (e.status() < 400 || (e.status() >= 500 && e.status() != 503)) std::abort();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unmapped exception (a 500): %s\n", e.what());
    std::abort();
  }
  return 0;
}
