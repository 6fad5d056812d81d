// The SQLite database file under a running server: deleted or replaced, it
// is noticed (/readyz unready, writes 503, logged) instead of writes going
// to an unlinked inode; `serve` never creates an empty database where one
// was; a second `serve` on the same file refuses to start; when it cannot
// be written (a file-size limit, as a full disk), writes are 503, reads and
// /readyz go on (`degraded`), and writes work again once it can.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "device_api_test_support.h"
#include "storage/sqlite_file.h"

namespace switchboard {
namespace {

using testing::DeviceApiTest;
using testing::ExpectApiError;
using testing::HttpResponse;
using testing::NewUuid;
using testing::OneShot;
using testing::Register;
using testing::RegistrationBody;
using testing::ServeOptions;
using testing::SwitchboardProcess;

class SqliteFileTest : public DeviceApiTest {
 protected:
  std::string DatabaseFile() const { return SqliteFilePath(url()); }

  // Until /readyz answers `status` (the server checks the file per request;
  // this only waits for the process to get there), at most ~5 s.
  int ReadyzEventually(const SwitchboardProcess& server, int status) {
    int last = 0;
    for (int i = 0; i < 100 && last != status; ++i) {
      last = OneShot(server.port(), "GET", "/readyz").status;
      if (last != status) usleep(50'000);
    }
    return last;
  }

  // The value of an unlabelled series of /metrics, or -1.
  static double Metric(const SwitchboardProcess& server, const std::string& name) {
    const std::string text = OneShot(server.port(), "GET", "/metrics").body;
    const std::size_t at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
  }
};

// Sets the soft file-size limit of a running process (prlimit(2): the same
// user needs no privilege); restores the old limits when destroyed.
class FileSizeLimit {
 public:
  FileSizeLimit(pid_t pid, rlim_t soft) : pid_(pid) {
    if (prlimit(pid_, RLIMIT_FSIZE, nullptr, &saved_) != 0) throw std::runtime_error("prlimit");
    rlimit lowered = saved_;
    lowered.rlim_cur = soft;
    if (prlimit(pid_, RLIMIT_FSIZE, &lowered, nullptr) != 0) throw std::runtime_error("prlimit");
  }
  ~FileSizeLimit() { Lift(); }
  void Lift() {
    if (pid_ > 0) prlimit(pid_, RLIMIT_FSIZE, &saved_, nullptr);
    pid_ = -1;
  }

 private:
  pid_t pid_;
  rlimit saved_{};
};

TEST_P(SqliteFileTest, ADeletedFileIsNoticedAndNeverRecreated) {
  AddBroker("b", {{"is_default", "1"}});
  const std::string key = AddKey("fleet-a");
  auto server = SwitchboardProcess::Start(ServeOptions(url()));
  ASSERT_EQ(Register(server->port(), key, RegistrationBody(NewUuid())).status, 200);

  const std::string file = DatabaseFile();
  ASSERT_EQ(std::remove(file.c_str()), 0);
  EXPECT_EQ(OneShot(server->port(), "GET", "/readyz").status, 503);
  const HttpResponse lost = Register(server->port(), key, RegistrationBody(NewUuid()));
  ExpectApiError(lost, 503, "unavailable");
  EXPECT_EQ(lost.Header("Retry-After").value_or(""), "1");
  EXPECT_NE(server->Log().find("deleted or replaced"), std::string::npos) << server->Log();
  server->Stop();

  // A restart does not make an empty database where the old one was.
  auto restarted = [&] {
    auto options = ServeOptions(url());
    options.wait_ready = false;
    return SwitchboardProcess::Start(options);
  }();
  EXPECT_EQ(ReadyzEventually(*restarted, 503), 503);
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_NE(restarted->Log().find("does not exist; `switchboard migrate` creates it"),
            std::string::npos)
      << restarted->Log();
}

TEST_P(SqliteFileTest, AReplacedFileIsNoticedToo) {
  AddBroker("b", {{"is_default", "1"}});
  const std::string key = AddKey("fleet-a");
  auto server = SwitchboardProcess::Start(ServeOptions(url()));
  const std::string file = DatabaseFile();
  std::filesystem::copy_file(file, file + ".copy");
  std::filesystem::rename(file + ".copy", file);  // same name, another inode
  EXPECT_EQ(OneShot(server->port(), "GET", "/readyz").status, 503);
  ExpectApiError(Register(server->port(), key, RegistrationBody(NewUuid())), 503, "unavailable");
}

TEST_P(SqliteFileTest, ASecondServeOnTheSameFileRefusesToStart) {
  auto first = SwitchboardProcess::Start(ServeOptions(url()));
  try {
    SwitchboardProcess::Start(ServeOptions(url()));
    FAIL() << "a second serve started on the same SQLite file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("another `switchboard serve` (pid " +
                                         std::to_string(first->pid()) + ")"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(OneShot(first->port(), "GET", "/readyz").status, 200);
  // Once the first is gone, the file is free again.
  first->Stop();
  EXPECT_EQ(
      OneShot(SwitchboardProcess::Start(ServeOptions(url()))->port(), "GET", "/readyz").status,
      200);
}

// No write can reach the file (limit 0: every write fails with EFBIG; the
// server ignores SIGXFSZ, which would otherwise kill it): a storage
// condition, 503 with Retry-After, never 500 and never a half-made device;
// reads and /readyz go on, /readyz saying `degraded`; once the limit is
// lifted the same process writes again and /readyz says ready.
TEST_P(SqliteFileTest, WritesRefusedByAFileSizeLimitAre503WhileReadsGoOn) {
  AddBroker("b", {{"is_default", "1"}});
  const std::string key = AddKey("fleet-a");
  auto server = SwitchboardProcess::Start(ServeOptions(url()));
  const std::string device = NewUuid();
  ASSERT_EQ(Register(server->port(), key, RegistrationBody(device)).status, 200);
  const RowCounts before = Rows();
  EXPECT_EQ(Metric(*server, "switchboard_storage_writable"), 1);

  FileSizeLimit limit(server->pid(), 0);
  const HttpResponse refused = Register(server->port(), key, RegistrationBody(NewUuid()));
  ExpectApiError(refused, 503, "unavailable");
  EXPECT_EQ(refused.Header("Retry-After").value_or(""), "1");
  const HttpResponse fetched = OneShot(server->port(), "GET", "/api/v1/device/" + device + "/mqtt",
                                       {{"X-Device-API-Key", testing::kDeviceApiKey}});
  EXPECT_EQ(fetched.status, 200) << fetched.body;
  const HttpResponse degraded = OneShot(server->port(), "GET", "/readyz");
  EXPECT_EQ(degraded.status, 200);
  EXPECT_EQ(degraded.body.rfind(R"({"status":"degraded","writable":false,"reason":")", 0), 0u)
      << degraded.body;
  EXPECT_EQ(Metric(*server, "switchboard_storage_writable"), 0);
  // An operator write is refused the same way.
  ExpectApiError(server->Admin("POST", "/api/v1/fleets", R"({"id":"fleet-b","name":"B"})"), 503,
                 "unavailable");
  EXPECT_EQ(kill(server->pid(), 0), 0);  // alive: SIGXFSZ did not kill it
  EXPECT_EQ(OneShot(server->port(), "GET", "/healthz").status, 200);
  EXPECT_EQ(Rows(), before);

  limit.Lift();
  // The next probe write (at most one a second) finds storage writable.
  std::string body;
  for (int i = 0; i < 100; ++i) {
    body = OneShot(server->port(), "GET", "/readyz").body;
    if (body == R"({"status":"ready"})") break;
    usleep(50'000);
  }
  EXPECT_EQ(body, R"({"status":"ready"})");
  EXPECT_EQ(Metric(*server, "switchboard_storage_writable"), 1);
  EXPECT_EQ(Register(server->port(), key, RegistrationBody(NewUuid())).status, 200);
  EXPECT_EQ(Count("devices"), before.devices + 1);
  EXPECT_EQ(QueryString("PRAGMA integrity_check"), "ok");
  EXPECT_NE(server->Log().find("storage takes writes again"), std::string::npos) << server->Log();
}

INSTANTIATE_TEST_SUITE_P(Sqlite, SqliteFileTest, ::testing::Values("sqlite"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace switchboard
