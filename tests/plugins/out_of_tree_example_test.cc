// The SDK as a third party uses it: install Switchboard to a temp prefix,
// build docs/examples/geo_resolver against it in a separate CMake project,
// then load the result through a YAML chain and resolve with it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "engine_testing.h"
#include "process.h"
#include "test_database.h"

namespace switchboard {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::RunCommand;
using testing::ShellQuote;

TEST(OutOfTreeExampleTest, BuildsAgainstTheInstalledSdkAndResolvesThroughTheChain) {
  testing::TempDir dir;
  const std::string prefix = dir.path() + "/prefix";
  const std::string build = dir.path() + "/geo-build";
  const std::string example = std::string(SWITCHBOARD_SOURCE_DIR) + "/docs/examples/geo_resolver";

  auto install = RunCommand("cmake --install " + ShellQuote(SWITCHBOARD_BUILD_DIR) + " --prefix " +
                            ShellQuote(prefix) + " 2>&1");
  ASSERT_EQ(install.exit_code, 0) << install.output;
  ASSERT_TRUE(fs::exists(prefix + "/include/switchboard/abi.h"));
  const std::string targets =
      testing::ReadFile(prefix + "/lib/cmake/Switchboard/SwitchboardTargets.cmake");
  EXPECT_THAT(targets, ::testing::Not(HasSubstr(SWITCHBOARD_SOURCE_DIR)));
  EXPECT_THAT(targets, ::testing::Not(HasSubstr(SWITCHBOARD_BUILD_DIR)));

  auto configure = RunCommand("cmake -S " + ShellQuote(example) + " -B " + ShellQuote(build) +
                              " -DCMAKE_PREFIX_PATH=" + ShellQuote(prefix) + " 2>&1");
  ASSERT_EQ(configure.exit_code, 0) << configure.output;
  auto compile = RunCommand("cmake --build " + ShellQuote(build) + " 2>&1");
  ASSERT_EQ(compile.exit_code, 0) << compile.output;
  const std::string library = build + "/libgeo.so";
  ASSERT_TRUE(fs::exists(library));

  const auto chain =
      testing::ChainFromYaml("    - path: " + library +
                             "\n"
                             "      params:\n"
                             "        brokers: {eu-west: \"mqtts://eu.mqtt.example.com:8883\"}\n"
                             "        deny: [embargoed]\n"
                             "    - plugin: scripted\n"
                             "      params: {name: last, outcome: resolved, host: last.example}\n");
  auto resolve = [&](const std::string& region) {
    testing::FakeContext context;
    context.device_.region = region;
    return chain->Resolve(context);
  };
  Resolution r = resolve("eu-west");
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.resolved_by, "geo");
  EXPECT_EQ(r.broker->host, "eu.mqtt.example.com");
  EXPECT_EQ(r.broker->port, 8883);
  EXPECT_EQ(r.reason, "region 'eu-west'");
  r = resolve("embargoed");
  EXPECT_TRUE(r.rejected);
  EXPECT_EQ(testing::Outcomes(r), "geo:reject");
  r = resolve("ap-south");
  EXPECT_EQ(testing::Outcomes(r), "geo:pass,last:resolved");

  // Its params are validated like a built-in's.
  EXPECT_THAT(testing::ChainError("    - path: " + library +
                                  "\n      params: {brokers: {eu: \"http://x\"}, denny: [a]}\n"),
              ::testing::AllOf(HasSubstr("test.yaml:5:26: step '" + library +
                                         "': 'brokers.eu': invalid broker URL"),
                               HasSubstr("unknown key 'denny' (did you mean 'deny'?)")));

  // The installed binary finds its installed plugins and loads the example.
  testing::WriteFile(dir.path() + "/geo.yaml",
                     "resolution:\n  plugin_dirs: []\n  chain:\n"
                     "    - plugin: device\n    - path: " +
                         library + "\n    - plugin: default\n");
  auto check = RunCommand("cd " + ShellQuote(dir.path()) + " && " + ShellQuote(prefix) +
                          "/bin/switchboard check-config --config geo.yaml 2>&1");
  ASSERT_EQ(check.exit_code, 0) << check.output;
  EXPECT_THAT(check.output, HasSubstr(prefix + "/lib/switchboard/plugins/libdevice.so"));
  EXPECT_THAT(check.output, HasSubstr("2. geo "));
}

}  // namespace
}  // namespace switchboard
