// StaticFiles: what Load() reads, what Find() refuses, content types.
#include "http/static_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "test_database.h"

namespace switchboard::http {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::WriteFile;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() + "/panel";
    fs::create_directories(root_ + "/js/pages");
    fs::create_directories(root_ + "/.git");
    WriteFile(root_ + "/index.html", "<!doctype html><title>x</title>");
    WriteFile(root_ + "/js/app.js", "export const a = 1;\n");
    WriteFile(root_ + "/js/pages/one.js", "export {};\n");
    WriteFile(root_ + "/.env", "SECRET=1\n");
    WriteFile(root_ + "/.git/config", "[core]\n");
    WriteFile(dir_.path() + "/outside.txt", "outside the panel\n");
  }
  TempDir dir_;
  std::string root_;
};

TEST_F(StaticFilesTest, LoadsEveryRegularFileByRelativePath) {
  const StaticFiles files = StaticFiles::Load(root_);
  EXPECT_EQ(files.size(), 3u);
  const StaticFiles::File* app = files.Find({"js", "app.js"});
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->body, "export const a = 1;\n");
  EXPECT_EQ(app->content_type, "text/javascript; charset=utf-8");
  ASSERT_NE(files.Find({"js", "pages", "one.js"}), nullptr);
  EXPECT_EQ(files.Find({"index.html"})->content_type, "text/html; charset=utf-8");
}

TEST_F(StaticFilesTest, EtagIsAQuotedDigestThatChangesWithTheContent) {
  const std::string before = StaticFiles::Load(root_).Find({"js", "app.js"})->etag;
  EXPECT_EQ(before.size(), 34u);
  EXPECT_EQ(before.front(), '"');
  EXPECT_EQ(before.back(), '"');
  WriteFile(root_ + "/js/app.js", "export const a = 2;\n");
  EXPECT_NE(StaticFiles::Load(root_).Find({"js", "app.js"})->etag, before);
}

TEST_F(StaticFilesTest, VersionIsShortHexStableAndChangesWithAnyFile) {
  const std::string first = StaticFiles::Load(root_).version();
  ASSERT_EQ(first.size(), StaticFiles::kVersionLength);
  EXPECT_EQ(first.find_first_not_of("0123456789abcdef"), std::string::npos) << first;
  EXPECT_EQ(StaticFiles::Load(root_).version(), first);

  WriteFile(root_ + "/js/pages/one.js", "export {};\n// edited\n");
  const std::string edited = StaticFiles::Load(root_).version();
  EXPECT_NE(edited, first);

  WriteFile(root_ + "/js/pages/two.js", "export {};\n");
  const std::string added = StaticFiles::Load(root_).version();
  EXPECT_NE(added, edited);

  fs::rename(root_ + "/js/pages/two.js", root_ + "/js/pages/three.js");
  EXPECT_NE(StaticFiles::Load(root_).version(), added);

  // Hidden files are not served, so they are not part of the version.
  const std::string before_hidden = StaticFiles::Load(root_).version();
  WriteFile(root_ + "/.env", "SECRET=2\n");
  EXPECT_EQ(StaticFiles::Load(root_).version(), before_hidden);
}

TEST_F(StaticFilesTest, SetBodyReplacesTheBodyAndEtagButNotTheVersion) {
  StaticFiles files = StaticFiles::Load(root_);
  const std::string version = files.version();
  const std::string etag = files.Find({"index.html"})->etag;
  ASSERT_TRUE(files.SetBody("index.html", "<!doctype html><title>y</title>"));
  const StaticFiles::File* index = files.Find({"index.html"});
  EXPECT_EQ(index->body, "<!doctype html><title>y</title>");
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_NE(index->etag, etag);
  EXPECT_EQ(files.version(), version);
  EXPECT_FALSE(files.SetBody("missing.html", "x"));
  EXPECT_EQ(files.Find({"missing.html"}), nullptr);
}

TEST_F(StaticFilesTest, HiddenFilesAndFoldersAreNotLoaded) {
  const StaticFiles files = StaticFiles::Load(root_);
  EXPECT_EQ(files.Find({".env"}), nullptr);
  EXPECT_EQ(files.Find({".git", "config"}), nullptr);
}

TEST_F(StaticFilesTest, SymlinkOutOfTheFolderIsSkippedAndNamed) {
  fs::create_symlink(dir_.path() + "/outside.txt", root_ + "/leak.txt");
  fs::create_directory_symlink(dir_.path(), root_ + "/up");
  fs::create_symlink(root_ + "/js/app.js", root_ + "/alias.js");  // inside: fine
  std::vector<std::string> skipped;
  const StaticFiles files = StaticFiles::Load(root_, &skipped);
  EXPECT_EQ(files.Find({"leak.txt"}), nullptr);
  EXPECT_EQ(files.Find({"up", "outside.txt"}), nullptr);
  ASSERT_NE(files.Find({"alias.js"}), nullptr);
  EXPECT_EQ(files.Find({"alias.js"})->body, "export const a = 1;\n");
  EXPECT_EQ(skipped, std::vector<std::string>{"leak.txt"});
}

TEST_F(StaticFilesTest, FindRefusesTraversalHowEverItIsSpelled) {
  const StaticFiles files = StaticFiles::Load(root_);
  EXPECT_EQ(files.Find({"..", "outside.txt"}), nullptr);
  EXPECT_EQ(files.Find({"js", "..", "index.html"}), nullptr);
  EXPECT_EQ(files.Find({"js/app.js"}), nullptr);             // %2F decoded into one segment
  EXPECT_EQ(files.Find({"js\\app.js"}), nullptr);            // backslash
  EXPECT_EQ(files.Find({"%2e%2e", "index.html"}), nullptr);  // encoded twice
  EXPECT_EQ(files.Find({"index.html\n"}), nullptr);
  EXPECT_EQ(files.Find({}), nullptr);
  for (const char* bad : {"", ".", "..", ".env", "a/b", "a\\b", "%2e", "a\x7f", "a\tb"}) {
    EXPECT_FALSE(StaticFiles::SafeSegment(bad)) << bad;
  }
  EXPECT_FALSE(StaticFiles::SafeSegment(std::string("a\0b", 3)));
  EXPECT_TRUE(StaticFiles::SafeSegment("app.js"));
  EXPECT_TRUE(StaticFiles::SafeSegment("3f2b8c1e-9a4d-4e6b-8f0a-1c2d3e4f5a6b"));
}

TEST_F(StaticFilesTest, ContentTypesByExtension) {
  EXPECT_EQ(StaticFiles::ContentTypeFor("panel.css"), "text/css; charset=utf-8");
  EXPECT_EQ(StaticFiles::ContentTypeFor("favicon.svg"), "image/svg+xml");
  EXPECT_EQ(StaticFiles::ContentTypeFor("shot.PNG"), "image/png");
  EXPECT_EQ(StaticFiles::ContentTypeFor("data.json"), "application/json");
  EXPECT_EQ(StaticFiles::ContentTypeFor("README"), "application/octet-stream");
  EXPECT_EQ(StaticFiles::ContentTypeFor("x.exe"), "application/octet-stream");
}

TEST_F(StaticFilesTest, AFolderThatIsNotThereIsAnErrorNamingIt) {
  try {
    StaticFiles::Load(dir_.path() + "/missing");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace switchboard::http
