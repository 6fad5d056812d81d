// The SDK as a third party uses it: install Switchboard to a temp prefix
// (or use this build tree), build docs/examples/geo_resolver against it in a
// separate CMake project, then load the result through a YAML chain and
// resolve with it.
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

const std::string kExample = std::string(SWITCHBOARD_SOURCE_DIR) + "/docs/examples/geo_resolver";

// Configures and builds the example in `build` with CMAKE_PREFIX_PATH
// `prefix`; returns the library (empty, with a failure recorded, if not).
std::string BuildExample(const std::string& prefix, const std::string& build) {
  auto configure = RunCommand("cmake -S " + ShellQuote(kExample) + " -B " + ShellQuote(build) +
                              " -DCMAKE_PREFIX_PATH=" + ShellQuote(prefix) + " 2>&1");
  EXPECT_EQ(configure.exit_code, 0) << configure.output;
  auto compile = RunCommand("cmake --build " + ShellQuote(build) + " 2>&1");
  EXPECT_EQ(compile.exit_code, 0) << compile.output;
  const std::string library = build + "/libgeo.so";
  EXPECT_TRUE(fs::exists(library));
  return fs::exists(library) ? library : "";
}

TEST(OutOfTreeExampleTest, BuildsAgainstTheInstalledSdkAndResolvesThroughTheChain) {
  testing::TempDir dir;
  const std::string prefix = dir.path() + "/prefix";
  const std::string build = dir.path() + "/geo-build";

  auto install = RunCommand("cmake --install " + ShellQuote(SWITCHBOARD_BUILD_DIR) + " --prefix " +
                            ShellQuote(prefix) + " 2>&1");
  ASSERT_EQ(install.exit_code, 0) << install.output;
  ASSERT_TRUE(fs::exists(prefix + "/include/switchboard/abi.h"));
  const std::string targets =
      testing::ReadFile(prefix + "/lib/cmake/Switchboard/SwitchboardTargets.cmake");
  EXPECT_THAT(targets, ::testing::Not(HasSubstr(SWITCHBOARD_SOURCE_DIR)));
  EXPECT_THAT(targets, ::testing::Not(HasSubstr(SWITCHBOARD_BUILD_DIR)));

  // The plugin links the installed SDK library, and nothing of the server.
  ASSERT_TRUE(fs::exists(prefix + "/lib/libswitchboard_sdk.so"));
  EXPECT_FALSE(fs::exists(prefix + "/lib/libswitchboard_core.so"));
  const std::string library = BuildExample(prefix, build);
  ASSERT_FALSE(library.empty());

  const auto chain =
      testing::ChainFromYaml("    - path: " + library +
                             "\n"
                             "      params:\n"
                             "        brokers: {eu-west: \"mqtts://eu.mqtt.example.com:8883\"}\n"
                             "        broker_ids: {ap-east: 3, us-east: 4}\n"
                             "        deny: [embargoed]\n"
                             "    - plugin: scripted\n"
                             "      params: {name: last, outcome: resolved, host: last.example}\n");
  // Stored brokers come from the context's directory: 3 active, 4 not.
  auto resolve = [&](const std::string& region) {
    testing::MapContext context;
    context.directory_.brokers = {{3, testing::StoredBroker(3, "ap-1")},
                                  {4, testing::StoredBroker(4, "us-1")}};
    context.directory_.brokers[4].is_active = false;
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
  r = resolve("ap-east");
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.resolved_by, "geo");
  EXPECT_EQ(r.broker->host, "ap-1.example.com");
  EXPECT_EQ(r.reason, "region 'ap-east' broker 'ap-1' (id 3)");
  r = resolve("us-east");
  EXPECT_EQ(testing::Outcomes(r), "geo:pass,last:resolved");
  EXPECT_EQ(r.trace.at(0).reason, "region 'us-east' broker 'us-1' (id 4) is inactive");
  // A context without storage: reading a stored broker is an error step.
  testing::FakeContext no_storage;
  no_storage.device_.region = "ap-east";
  r = chain->Resolve(no_storage);
  EXPECT_EQ(testing::Outcomes(r), "geo:error,last:resolved");

  // Its params are validated like a built-in's.
  EXPECT_THAT(testing::ChainError("    - path: " + library +
                                  "\n      params: {brokers: {eu: \"http://x\"}, denny: [a]}\n"),
              ::testing::AllOf(HasSubstr("test.yaml:5:26: step '" + library +
                                         "': 'brokers.eu': invalid broker URL"),
                               HasSubstr("unknown key 'denny' (did you mean 'deny'?)")));
  EXPECT_THAT(testing::ChainError("    - path: " + library +
                                  "\n      params: {broker_ids: {eu: x, us: -2, ap: 0}}\n"),
              ::testing::AllOf(HasSubstr("'broker_ids.eu': must be a broker id"),
                               HasSubstr("'broker_ids.us': must be a broker id"),
                               HasSubstr("'broker_ids.ap': must be a broker id")));

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

TEST(OutOfTreeExampleTest, BuildsAgainstTheBuildTreeWithoutInstalling) {
  testing::TempDir dir;
  const std::string library = BuildExample(SWITCHBOARD_BUILD_DIR, dir.path() + "/geo-build");
  ASSERT_FALSE(library.empty());
  const auto chain = testing::ChainFromYaml("    - path: " + library +
                                            "\n      params: {broker_ids: {eu-west: 9}}\n");
  testing::MapContext context;
  context.directory_.brokers = {{9, testing::StoredBroker(9, "eu-9")}};
  context.device_.region = "eu-west";
  const Resolution r = chain->Resolve(context);
  ASSERT_TRUE(r.broker);
  EXPECT_EQ(r.broker->host, "eu-9.example.com");
}

}  // namespace
}  // namespace switchboard
