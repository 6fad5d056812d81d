// A real `switchboard serve` process for integration tests: a temp config,
// a free port, its log captured, stopped (and reaped) when destroyed.
//
//   auto server = SwitchboardProcess::Start(ServeOptions(url()));
//   HttpResponse r = OneShot(server->port(), "GET", "/readyz");
//   server->Stop(SIGTERM);  // returns the exit status
//   EXPECT_EQ(server->Log().find("secret"), std::string::npos);
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "http_client.h"
#include "test_database.h"

namespace switchboard::testing {

// Admin token every test server accepts (`Authorization: Bearer …`).
inline constexpr char kTestAdminToken[] = "test-admin-token-0123456789abcdef0123456789";

struct SwitchboardProcessOptions {
  std::string database_url;  // REQUIRED
  // YAML appended to the generated config (server.listen, storage.url and
  // resolution.plugin_dirs are generated; give e.g. a `provisioning:` section
  // or a whole `resolution:` section with `chain:` — then include
  // plugin_dirs yourself, SWITCHBOARD_PLUGIN_DIR). Without a `health:`
  // section here the generated config turns the health monitor off, so
  // broker reads do not change under a test that does not expect it.
  std::string extra_yaml;
  // Replaces the generated `resolution:` section when not empty.
  std::string resolution_yaml;
  // Lines added to the generated `server:` section, each indented two
  // spaces (e.g. "  tls: {cert: /p/cert.pem, key: /p/key.pem}\n").
  std::string server_yaml;
  // Lines added to the generated `storage:` section, indented likewise.
  std::string storage_yaml;
  std::map<std::string, std::string> environment;  // added to the process's
  int threads = 2;
  bool wait_ready = true;  // wait until /readyz answers 200
};

// Options with just the database set (designated initializers trip
// -Wmissing-field-initializers on GCC 12).
inline SwitchboardProcessOptions ServeOptions(std::string database_url) {
  SwitchboardProcessOptions options;
  options.database_url = std::move(database_url);
  return options;
}

class SwitchboardProcess {
 public:
  // Throws std::runtime_error (with the process log) when it does not start
  // listening within 20 s.
  static std::unique_ptr<SwitchboardProcess> Start(const SwitchboardProcessOptions& options);
  ~SwitchboardProcess();

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& config_path() const { return config_path_; }
  // stdout + stderr so far.
  std::string Log() const;

  // Sends `signal` and waits (at most 30 s, then SIGKILL) for the exit;
  // returns the exit code (128 + signal when killed).
  int Stop(int signal = 15);
  void Signal(int signal);

  // Admin request helpers.
  HttpResponse Admin(std::string_view method, std::string_view target,
                     std::string_view json_body = {}) const;

 private:
  SwitchboardProcess() = default;
  TempDir dir_;
  std::string config_path_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// A DatabaseTest whose database a `switchboard serve` serves: SetUp()
// starts server_ with ServeOptions(url()) on the migrated database, and
// TearDown() stops it before the database is dropped. A server that does
// not start throws out of SetUp() (the test fails, its body does not run).
// A derived SetUp calls ServedDatabaseTest::SetUp() first and returns when
// `IsSkipped() || HasFatalFailure()` (no database).
//
//   class FleetsApiTest : public ServedDatabaseTest {};
//   TEST_P(FleetsApiTest, X) { server_->Admin("GET", "/api/v1/fleets"); }
//   SWITCHBOARD_BOTH_BACKENDS(FleetsApiTest);
class ServedDatabaseTest : public DatabaseTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::unique_ptr<SwitchboardProcess> server_;
};

}  // namespace switchboard::testing
