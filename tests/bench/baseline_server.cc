// bench_baseline_server: the HTTP baseline of every HTTP benchmark figure.
//
// The project's own HttpServer (server/http: Pistache, keep-alive, framing,
// the same options `switchboard serve` derives from the same YAML file), with
// the device routes answering a constant JSON body shaped like a real answer.
// The difference between this server and `switchboard serve` is the handler
// work (auth, storage, chain, JSON) and the metrics observer.
//
//   bench_baseline_server --config FILE
//       Reads `server:` from FILE (threads, limits, timeouts, listen; the
//       SWITCHBOARD_LISTEN override applies), prints `listening on PORT`,
//       serves until SIGINT/SIGTERM.
#include <iostream>
#include <string>

#include "config/config.h"
#include "http/http_server.h"
#include "http/signals.h"
#include "util/log.h"

namespace {

using namespace switchboard;

// The same derivation as server/cli_serve.cc (ServerOptions).
http::HttpServerOptions OptionsFrom(const ServerConfig& server) {
  http::HttpServerOptions options;
  options.address = server.listen;
  options.threads = server.threads;
  options.max_body_bytes = server.max_body_bytes;
  options.header_timeout = server.header_timeout;
  options.body_timeout = server.body_timeout;
  options.keepalive_timeout = server.keepalive_timeout;
  return options;
}

// What `GET /api/v1/device/{uuid}/mqtt` answers for an mqtts broker of the
// benchmark dataset (same fields, same size within a few bytes).
constexpr char kDeviceMqttBody[] =
    R"({"username":"device_9e3779b1-0000-4000-8000-000000000001",)"
    R"("broker":"mqtts://mqtt-01.bench.example:8883","brokerConfig":{"protocol":"mqtts",)"
    R"("host":"mqtt-01.bench.example","port":8883,"useTls":true,"verifyCertificate":true,)"
    R"("clientIdPrefix":"bench-1-","keepAlive":60,"cleanSession":true,"reconnectPeriod":1000,)"
    R"("connectTimeout":30000},"topics":{"publish":)"
    R"(["iot/device/9e3779b1-0000-4000-8000-000000000001/#"],"subscribe":)"
    R"(["iot/device/9e3779b1-0000-4000-8000-000000000001/#"]}})";

constexpr char kRegisterBody[] =
    R"({"id":1000001,"uuid":"9e3779b1-0000-4000-8000-000000000001","deviceName":"bench",)"
    R"("deviceType":"sensor","fleetId":"fleet-00","createdAt":"2026-01-01T00:00:00.000Z",)"
    R"("mqtt":{"username":"device_9e3779b1-0000-4000-8000-000000000001",)"
    R"("password":"0123456789abcdefghijklmnopqrstuv",)"
    R"("broker":"mqtts://mqtt-01.bench.example:8883","brokerConfig":{"protocol":"mqtts",)"
    R"("host":"mqtt-01.bench.example","port":8883,"useTls":true,"verifyCertificate":true,)"
    R"("clientIdPrefix":"bench-1-","keepAlive":60,"cleanSession":true,"reconnectPeriod":1000,)"
    R"("connectTimeout":30000},"topics":{"publish":)"
    R"(["iot/device/9e3779b1-0000-4000-8000-000000000001/#"],"subscribe":)"
    R"(["iot/device/9e3779b1-0000-4000-8000-000000000001/#"]}}})";

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else {
      std::cerr << "usage: bench_baseline_server --config FILE\n";
      return 2;
    }
  }
  if (config_path.empty()) {
    std::cerr << "usage: bench_baseline_server --config FILE\n";
    return 2;
  }
  try {
    http::BlockServerSignals();
    const Config config = LoadConfigFile(config_path);
    Logger& log = ProcessLogger();
    http::HttpServer server(OptionsFrom(config.server), log);
    server.Get("/api/v1/device/:uuid/mqtt", [](const http::Request&) {
      http::Response response = http::Response::Json(200, kDeviceMqttBody);
      response.SetHeader("X-Switchboard-Resolver", "resolved-by=device; trace=device:resolved");
      response.SetHeader("Cache-Control", "no-store");
      return response;
    });
    server.Post("/api/v1/device/register", [](const http::Request&) {
      http::Response response = http::Response::Json(200, kRegisterBody);
      response.SetHeader("X-Switchboard-Resolver",
                         "resolved-by=fleet; trace=device:pass,fleet:resolved");
      response.SetHeader("Cache-Control", "no-store");
      return response;
    });
    server.Get("/readyz", [](const http::Request&) {
      return http::Response::Json(200, R"({"status":"ready"})");
    });
    server.Serve();
    std::cout << "listening on " << server.port() << std::endl;
    http::WaitForTermination([] {});
    server.Shutdown();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_baseline_server: " << e.what() << "\n";
    return 1;
  }
}
