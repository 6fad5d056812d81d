// The loader's refusals, each naming the YAML location, the library and the
// reason; and the search path.
#include <dlfcn.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "engine/plugin_loader.h"
#include "engine_testing.h"
#include "switchboard/abi.h"
#include "test_database.h"

namespace switchboard {
namespace {

namespace fs = std::filesystem;
using testing::ChainError;
using testing::ChainFromYaml;
using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  return std::string(SWITCHBOARD_TEST_PLUGIN_DIR) + "/lib" + name + ".so";
}

TEST(PluginSearchPathTest, ConfiguredDirsFirstRelativeToCwdThenNextToTheExecutable) {
  const auto path = PluginSearchPath({"relative/plugins", "/abs/plugins"});
  ASSERT_EQ(path.size(), 4u);
  EXPECT_EQ(path[0], (fs::current_path() / "relative/plugins").lexically_normal());
  EXPECT_EQ(path[1], fs::path("/abs/plugins"));
  // The test binary lives in <build>/bin, like the switchboard binary.
  const fs::path build = fs::path(SWITCHBOARD_BUILD_DIR).lexically_normal();
  EXPECT_EQ(path[2], build / "plugins");
  EXPECT_EQ(path[3], build / "lib/switchboard/plugins");
}

TEST(PluginSearchPathTest, BuiltInsAreFoundWithoutConfiguredDirs) {
  const auto file = FindPluginLibrary("env", PluginSearchPath({}));
  EXPECT_EQ(file, fs::path(SWITCHBOARD_PLUGIN_DIR) / "libenv.so");
}

TEST(PluginLoaderTest, MissingPluginListsTheDirectoriesSearched) {
  const std::string error = ChainError("    - plugin: nosuch\n");
  EXPECT_THAT(error, HasSubstr("test.yaml:4:7: plugin/nosuch: plugin 'nosuch' not found: no "
                               "libnosuch.so in "));
  EXPECT_THAT(error, HasSubstr(SWITCHBOARD_TEST_PLUGIN_DIR));
  EXPECT_THAT(error, HasSubstr(SWITCHBOARD_PLUGIN_DIR));
}

TEST(PluginLoaderTest, InvalidPluginNameIsRefused) {
  EXPECT_THAT(ChainError("    - plugin: ../evil\n"), HasSubstr("invalid plugin name '../evil'"));
}

TEST(PluginLoaderTest, MissingFileIsRefused) {
  EXPECT_THAT(ChainError("    - path: /nonexistent/libgeo.so\n"),
              HasSubstr("test.yaml:4:7: step '/nonexistent/libgeo.so': library "
                        "/nonexistent/libgeo.so not found"));
}

TEST(PluginLoaderTest, NonElfFileIsRefused) {
  testing::TempDir dir;
  const std::string file = dir.path() + "/libfake.so";
  testing::WriteFile(file, "#!/bin/sh\necho not a library\n");
  EXPECT_THAT(ChainError("    - path: " + file + "\n"),
              HasSubstr("library " + file + " is not a shared object (no ELF header)"));
}

TEST(PluginLoaderTest, SharedObjectWithoutSymbolsIsRefused) {
  EXPECT_THAT(ChainError("    - path: " + Fixture("not_a_plugin") + "\n"),
              HasSubstr("is not a Switchboard resolver plugin: missing exported symbols "
                        "switchboard_abi_version, switchboard_create_resolver"));
  EXPECT_THAT(ChainError("    - path: " + Fixture("no_factory") + "\n"),
              HasSubstr("missing exported symbol switchboard_create_resolver"));
}

TEST(PluginLoaderTest, UnresolvedSymbolsFailAtLoadNotAtFirstCall) {
  EXPECT_THAT(ChainError("    - path: " + Fixture("unresolved") + "\n"),
              HasSubstr("cannot be loaded: "));
  EXPECT_THAT(ChainError("    - path: " + Fixture("unresolved") + "\n"),
              HasSubstr("fixture_function_nobody_defines"));
}

TEST(PluginLoaderTest, AbiMismatchIsRefusedBeforeTheFactoryRuns) {
  testing::TempDir dir;
  const std::string marker = dir.path() + "/factory-ran";
  const std::string error = ChainError("    - path: " + Fixture("wrong_abi") +
                                       "\n      params: {touch_on_create: " + marker + "}\n");
  EXPECT_THAT(error, HasSubstr("test.yaml:4:7: "));
  EXPECT_THAT(error, HasSubstr(Fixture("wrong_abi")));
  EXPECT_THAT(error, HasSubstr("ABI version mismatch: expected " + std::to_string(kAbiVersion) +
                               ", found 999"));
  EXPECT_FALSE(fs::exists(marker)) << "the factory of a mismatched plugin must not run";

  // The same source with the right version does run its factory.
  ChainFromYaml("    - plugin: scripted\n      params: {touch_on_create: " + marker + "}\n");
  EXPECT_TRUE(fs::exists(marker));
}

TEST(PluginLoaderTest, InvalidParamsReportEveryProblemWithItsLine) {
  const std::string error = ChainError(
      "    - plugin: env\n"  // line 4
      "      params:\n"
      "        varible: X\n"                            // line 6
      "        fallback: \"http://nope\"\n"             // line 7
      "    - plugin: regional\n"                        // line 8
      "      params: {fallback_regions: {eu: eu-2}}\n"  // line 9
      "    - plugin: nosuch\n");                        // line 10
  EXPECT_THAT(error, HasSubstr("test.yaml:4:7: plugin/env: library "));
  EXPECT_THAT(error, HasSubstr("libenv.so: invalid params"));
  EXPECT_THAT(error, HasSubstr("test.yaml:6:9: plugin/env: unknown key 'varible' (did you mean "
                               "'variable'?)"));
  EXPECT_THAT(error, HasSubstr("test.yaml:7:9: plugin/env: 'fallback': invalid broker URL"));
  EXPECT_THAT(error, HasSubstr("test.yaml:9:"));
  EXPECT_THAT(error, HasSubstr("'fallback_regions.eu' must be a list of regions"));
  EXPECT_THAT(error, HasSubstr("test.yaml:10:7: plugin/nosuch: plugin 'nosuch' not found"));
}

TEST(PluginLoaderTest, FactoryFailureIsRefused) {
  EXPECT_THAT(ChainError("    - plugin: scripted\n      params: {fail_create: true}\n"),
              HasSubstr("creating the resolver failed: scripted factory failure"));
}

TEST(PluginLoaderTest, DuplicateStepNamesAreRefused) {
  const std::string error = ChainError(
      "    - plugin: env\n"
      "    - plugin: default\n"
      "    - plugin: env\n"
      "      params: {variable: OTHER}\n");
  EXPECT_THAT(error, HasSubstr("test.yaml:6:7: duplicate step name 'env'"));
  EXPECT_THAT(error, HasSubstr("already used by the step at line 4"));
  // Distinct names from one library are fine.
  EXPECT_EQ(ChainError("    - plugin: scripted\n      params: {name: a}\n"
                       "    - plugin: scripted\n      params: {name: b}\n"),
            "");
}

TEST(PluginLoaderTest, ResolverKeepsItsLibraryLoaded) {
  LoadedResolver loaded = LoadResolver(Fixture("scripted"), ParamValue{});
  EXPECT_EQ(loaded.name, "scripted");
  EXPECT_EQ(loaded.file, fs::path(Fixture("scripted")));
  std::shared_ptr<const Resolver> resolver = loaded.resolver;
  loaded = LoadedResolver{};
  // Still loaded (RTLD_NOLOAD only finds a library already in memory) and
  // callable.
  void* handle = dlopen(Fixture("scripted").c_str(), RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(handle, nullptr);
  dlclose(handle);
  testing::FakeContext context;
  EXPECT_EQ(resolver->Resolve(context).reason, "scripted pass");
}

}  // namespace
}  // namespace switchboard
