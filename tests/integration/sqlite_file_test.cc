// The SQLite database file under a running server: deleted or replaced, it
// is noticed (/readyz unready, writes 503, logged) instead of writes going
// to an unlinked inode; `serve` never creates an empty database where one
// was; a second `serve` on the same file refuses to start.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

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

INSTANTIATE_TEST_SUITE_P(Sqlite, SqliteFileTest, ::testing::Values("sqlite"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace switchboard
