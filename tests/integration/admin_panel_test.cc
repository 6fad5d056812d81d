// The admin panel's files as the real `switchboard serve` hands them out:
// redirect, index, client-side routes, types, caching, security headers,
// traversal refused, symlinks out of the folder refused, the panel off.
// What the panel does in a browser is tested in tests/browser/.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "switchboard_process.h"

namespace switchboard {
namespace {

namespace fs = std::filesystem;
using testing::HttpResponse;
using testing::OneShot;
using testing::SwitchboardProcess;

constexpr char kSourcePanel[] = SWITCHBOARD_SOURCE_DIR "/admin";

void ExpectSecurityHeaders(const HttpResponse& r, const std::string& target) {
  const std::string csp = r.Header("Content-Security-Policy").value_or("");
  EXPECT_EQ(csp.rfind("default-src 'self'", 0), 0u) << target << ": " << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << target << ": " << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << target << ": " << csp;
  EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos) << target << ": " << csp;
  EXPECT_EQ(r.Header("X-Content-Type-Options").value_or(""), "nosniff") << target;
  EXPECT_EQ(r.Header("Referrer-Policy").value_or(""), "no-referrer") << target;
}

class AdminPanelTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    server_ = SwitchboardProcess::Start(testing::ServeOptions(url()));
  }
  HttpResponse Get(const std::string& target, const testing::Headers& headers = {}) {
    return OneShot(server_->port(), "GET", target, headers);
  }
  std::unique_ptr<SwitchboardProcess> server_;
};

TEST_P(AdminPanelTest, AdminWithoutSlashRedirectsToTheApp) {
  const HttpResponse r = Get("/admin");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.Header("Location").value_or(""), "/admin/");
  ExpectSecurityHeaders(r, "/admin");
}

// The version in the index's script address, "" when there is none.
std::string PanelVersion(const std::string& index) {
  std::smatch match;
  if (!std::regex_search(index, match, std::regex(R"(src="/admin/v/([0-9a-f]{12})/js/app\.js")"))) {
    return "";
  }
  return match[1];
}

constexpr char kImmutable[] = "public, max-age=31536000, immutable";

TEST_P(AdminPanelTest, IndexComesWithSecurityAndNoCacheHeadersAndNoInlineScript) {
  const HttpResponse r = Get("/admin/");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("Content-Type").value_or(""), "text/html; charset=utf-8");
  EXPECT_EQ(r.Header("Cache-Control").value_or(""), "no-cache");
  EXPECT_FALSE(r.Header("ETag").value_or("").empty());
  ExpectSecurityHeaders(r, "/admin/");
  // Every script is an external module: the CSP would block any other.
  std::size_t scripts = 0;
  for (std::size_t at = r.body.find("<script"); at != std::string::npos;
       at = r.body.find("<script", at + 1)) {
    ++scripts;
    const std::string external = R"(<script type="module" src="/admin/v/)";
    EXPECT_EQ(r.body.compare(at, external.size(), external), 0) << r.body.substr(at, 80);
  }
  EXPECT_EQ(scripts, 1u);
  EXPECT_FALSE(std::regex_search(r.body, std::regex(R"(<[^>]*\son[a-z]+\s*=)")))
      << "no inline event handler attributes";
}

TEST_P(AdminPanelTest, IndexPointsAtItsAssetsThroughTheVersionAndKeepsItsRoutes) {
  const std::string index = Get("/admin/").body;
  const std::string version = PanelVersion(index);
  ASSERT_FALSE(version.empty()) << index;
  const std::string base = "/admin/v/" + version;
  EXPECT_NE(index.find("href=\"" + base + "/css/panel.css\""), std::string::npos) << index;
  EXPECT_NE(index.find("href=\"" + base + "/favicon.svg\""), std::string::npos) << index;
  // No asset is left at its unversioned address, and the panel's own
  // routes are not assets: they stay as written.
  for (const std::string stale : {"\"/admin/js/", "\"/admin/css/", "\"/admin/favicon"}) {
    EXPECT_EQ(index.find(stale), std::string::npos) << stale;
  }
  EXPECT_NE(index.find(R"(href="/admin/brokers")"), std::string::npos) << index;
  EXPECT_NE(index.find(R"(href="/admin/devices")"), std::string::npos) << index;
  // Apart from the addresses, the page is the file as written.
  std::string unversioned = index;
  for (std::size_t at = unversioned.find(base); at != std::string::npos;
       at = unversioned.find(base, at)) {
    unversioned.replace(at, base.size(), "/admin");
  }
  EXPECT_EQ(unversioned, testing::ReadFile(std::string(kSourcePanel) + "/index.html"));
  // Client-side routes get the same rewritten page, revalidated each time.
  const HttpResponse route = Get("/admin/devices/3f2b8c1e-9a4d-4e6b-8f0a-1c2d3e4f5a6b");
  EXPECT_EQ(route.body, index);
  EXPECT_EQ(route.Header("Cache-Control").value_or(""), "no-cache");
}

TEST_P(AdminPanelTest, VersionedAssetsAreCachedForAYearWithTheirTypesAndBytes) {
  const std::string version = PanelVersion(Get("/admin/").body);
  ASSERT_FALSE(version.empty());
  const std::string base = "/admin/v/" + version;
  const struct {
    std::string file, type;
  } assets[] = {{"/js/app.js", "text/javascript; charset=utf-8"},
                {"/js/pages/device.js", "text/javascript; charset=utf-8"},
                {"/css/panel.css", "text/css; charset=utf-8"},
                {"/favicon.svg", "image/svg+xml"}};
  for (const auto& asset : assets) {
    const HttpResponse r = Get(base + asset.file);
    ASSERT_EQ(r.status, 200) << asset.file;
    EXPECT_EQ(r.Header("Content-Type").value_or(""), asset.type) << asset.file;
    EXPECT_EQ(r.Header("Cache-Control").value_or(""), kImmutable) << asset.file;
    EXPECT_EQ(r.body, testing::ReadFile(std::string(kSourcePanel) + asset.file)) << asset.file;
    ExpectSecurityHeaders(r, asset.file);
  }
  // The unversioned address still works, revalidated each time.
  EXPECT_EQ(Get("/admin/js/app.js").Header("Cache-Control").value_or(""), "no-cache");
}

TEST_P(AdminPanelTest, AnotherVersionIsNeverCachedLong) {
  const std::string version = PanelVersion(Get("/admin/").body);
  ASSERT_FALSE(version.empty());
  // An older release's address of a file that exists: to the current one.
  const HttpResponse old = Get("/admin/v/000000000000/js/pages/device.js");
  EXPECT_EQ(old.status, 302);
  EXPECT_EQ(old.Header("Location").value_or(""), "/admin/v/" + version + "/js/pages/device.js");
  EXPECT_EQ(old.Header("Cache-Control").value_or(""), "no-store");
  ExpectSecurityHeaders(old, "old version");
  EXPECT_EQ(Get("/admin/v/not-a-version/css/panel.css").status, 302);
  // Nothing else under /admin/v/: no file, no version, or index.html (which
  // must be revalidated) is a 404 that is not stored either.
  for (const std::string& target : std::vector<std::string>{
           "/admin/v/" + version + "/js/missing.js", "/admin/v/" + version + "/index.html",
           "/admin/v/" + version + "/", "/admin/v/" + version + "/brokers", "/admin/v/",
           "/admin/v/000000000000/js/missing.js"}) {
    const HttpResponse r = Get(target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.Header("Cache-Control").value_or(""), "no-store") << target;
    EXPECT_EQ(r.body.find("<!doctype"), std::string::npos) << target;
    ExpectSecurityHeaders(r, target);
  }
}

TEST_P(AdminPanelTest, TraversalUnderTheVersionIs404) {
  const std::string version = PanelVersion(Get("/admin/").body);
  ASSERT_FALSE(version.empty());
  const std::string base = "/admin/v/" + version;
  for (const std::string& target : std::vector<std::string>{
           base + "/../index.html", base + "/../../../api/v1/admin/chain", base + "/js/../app.js",
           base + "/%2e%2e/index.html", base + "/js/..%2f..%2findex.html",
           base + "/%252e%252e/x.js", base + "/..%5cindex.html", base + "/.hidden",
           base + "/./js/app.js", "/admin/v/..%2f" + version + "/js/app.js",
           std::string("/admin/v/%2e%2e/js/app.js")}) {
    const HttpResponse r = OneShot(server_->port(), "GET", target);
    EXPECT_TRUE(r.status == 404 || r.status == 400) << target << " -> " << r.status;
    EXPECT_NE(r.Header("Cache-Control").value_or(""), kImmutable) << target;
    EXPECT_EQ(r.body.find("<!doctype"), std::string::npos) << target;
    EXPECT_EQ(r.body.find("\"chain\""), std::string::npos) << target;
  }
}

TEST_P(AdminPanelTest, UnchangedFileAnswers304ToItsEtag) {
  const HttpResponse first = Get("/admin/js/app.js");
  ASSERT_EQ(first.status, 200);
  const std::string etag = first.Header("ETag").value_or("");
  ASSERT_FALSE(etag.empty());
  const HttpResponse again = Get("/admin/js/app.js", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(again.Header("ETag").value_or(""), etag);
  ExpectSecurityHeaders(again, "304");
  EXPECT_EQ(Get("/admin/js/app.js", {{"If-None-Match", "W/" + etag + ", \"other\""}}).status, 304);
  EXPECT_EQ(Get("/admin/js/app.js", {{"If-None-Match", "\"other\""}}).status, 200);
}

TEST_P(AdminPanelTest, ModulesAndStylesHaveTheirTypesAndTheirBytes) {
  const HttpResponse js = Get("/admin/js/pages/device.js");
  ASSERT_EQ(js.status, 200);
  EXPECT_EQ(js.Header("Content-Type").value_or(""), "text/javascript; charset=utf-8");
  EXPECT_EQ(js.body, testing::ReadFile(std::string(kSourcePanel) + "/js/pages/device.js"));
  const HttpResponse css = Get("/admin/css/panel.css");
  ASSERT_EQ(css.status, 200);
  EXPECT_EQ(css.Header("Content-Type").value_or(""), "text/css; charset=utf-8");
  EXPECT_EQ(Get("/admin/favicon.svg").Header("Content-Type").value_or(""), "image/svg+xml");
}

TEST_P(AdminPanelTest, ThePanelsOwnRoutesServeTheApp) {
  const std::string index = Get("/admin/").body;
  for (const std::string target : {"/admin/brokers", "/admin/brokers/new", "/admin/brokers/12/",
                                   "/admin/devices/3f2b8c1e-9a4d-4e6b-8f0a-1c2d3e4f5a6b",
                                   "/admin/devices?q=boiler&after=5", "/admin/no/such/page"}) {
    const HttpResponse r = Get(target);
    EXPECT_EQ(r.status, 200) << target;
    EXPECT_EQ(r.body, index) << target;
    ExpectSecurityHeaders(r, target);
  }
}

TEST_P(AdminPanelTest, AMissingFileIs404NotTheApp) {
  for (const std::string target : {"/admin/js/missing.js", "/admin/nope.css", "/admin/a/b.png"}) {
    const HttpResponse r = Get(target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.body.find("<!doctype"), std::string::npos) << target;
    ExpectSecurityHeaders(r, target);
  }
}

TEST_P(AdminPanelTest, TraversalIs404HoweverItIsEncoded) {
  for (const std::string target :
       {"/admin/../api/v1/admin/chain", "/admin/..", "/admin/../", "/admin/js/../index.html",
        "/admin/%2e%2e/%2e%2e/etc/passwd", "/admin/%2E%2E/index.html",
        "/admin/..%2f..%2fetc%2fpasswd", "/admin/js%2f..%2findex.html",
        "/admin/%252e%252e/index.html", "/admin/..%5c..%5cindex.html", "/admin/.%2e/x",
        "/admin/.hidden", "/admin/%00/index.html", "/admin/./index.html"}) {
    const HttpResponse r = OneShot(server_->port(), "GET", target);
    EXPECT_TRUE(r.status == 404 || r.status == 400) << target << " -> " << r.status;
    EXPECT_EQ(r.body.find("<!doctype"), std::string::npos) << target;
    EXPECT_EQ(r.body.find("\"chain\""), std::string::npos) << target;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << target;
  }
  // The decoded forms of traversal are refused as 404 (a malformed escape
  // such as %00 is the server's 400 before the panel sees it).
  EXPECT_EQ(Get("/admin/%2e%2e/index.html").status, 404);
  EXPECT_EQ(Get("/admin/..%2findex.html").status, 404);
}

TEST_P(AdminPanelTest, OtherMethodsAreNotAllowed) {
  const HttpResponse r = OneShot(server_->port(), "POST", "/admin/", {}, {});
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("Allow").value_or(""), "GET");
}

TEST_P(AdminPanelTest, ServePrintsThePanelsAddress) {
  EXPECT_NE(server_->Log().find("admin panel: http://127.0.0.1:" + std::to_string(server_->port()) +
                                "/admin/"),
            std::string::npos)
      << server_->Log();
}

TEST_P(AdminPanelTest, ASymlinkOutOfAConfiguredFolderIsNotServed) {
  server_.reset();  // one `serve` per SQLite file: this test starts its own
  testing::TempDir dir;
  const std::string panel = dir.path() + "/panel";
  fs::create_directories(panel);
  testing::WriteFile(panel + "/index.html", "<!doctype html><title>own</title>");
  testing::WriteFile(dir.path() + "/secret.txt", "not for the web\n");
  fs::create_symlink(dir.path() + "/secret.txt", panel + "/leak.txt");
  auto options = testing::ServeOptions(url());
  options.server_yaml = "  admin_panel_dir: \"" + panel + "\"\n";
  auto server = SwitchboardProcess::Start(options);
  EXPECT_EQ(OneShot(server->port(), "GET", "/admin/").body, "<!doctype html><title>own</title>");
  const HttpResponse leak = OneShot(server->port(), "GET", "/admin/leak.txt");
  EXPECT_EQ(leak.status, 404);
  EXPECT_EQ(leak.body.find("not for the web"), std::string::npos);
  EXPECT_NE(server->Log().find("not serving leak.txt"), std::string::npos) << server->Log();
}

TEST_P(AdminPanelTest, AnEmptyFolderSettingTurnsThePanelOff) {
  server_.reset();  // one `serve` per SQLite file: this test starts its own
  auto options = testing::ServeOptions(url());
  options.server_yaml = "  admin_panel_dir: \"\"\n";
  auto server = SwitchboardProcess::Start(options);
  const HttpResponse r = OneShot(server->port(), "GET", "/admin/");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("no such endpoint"), std::string::npos) << r.body;
  EXPECT_EQ(server->Log().find("admin panel:"), std::string::npos) << server->Log();
  EXPECT_EQ(OneShot(server->port(), "GET", "/healthz").status, 200);
}

TEST_P(AdminPanelTest, AConfiguredFolderWithoutIndexStopsStartup) {
  server_.reset();  // one `serve` per SQLite file: this test starts its own
  testing::TempDir dir;
  auto options = testing::ServeOptions(url());
  options.server_yaml = "  admin_panel_dir: \"" + dir.path() + "\"\n";
  try {
    SwitchboardProcess::Start(options);
    FAIL() << "expected serve to refuse to start";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("server.admin_panel_dir"), std::string::npos) << what;
    EXPECT_NE(what.find("has no index.html"), std::string::npos) << what;
  }
}

TEST_P(AdminPanelTest, AChangedFileChangesTheVersionAndTheOldOneLeadsToTheNew) {
  server_.reset();  // one `serve` per SQLite file: this test starts its own
  testing::TempDir dir;
  const std::string panel = dir.path() + "/panel";
  fs::copy(kSourcePanel, panel, fs::copy_options::recursive);
  auto options = testing::ServeOptions(url());
  options.server_yaml = "  admin_panel_dir: \"" + panel + "\"\n";
  std::string before;
  {
    auto server = SwitchboardProcess::Start(options);
    before = PanelVersion(OneShot(server->port(), "GET", "/admin/").body);
    ASSERT_FALSE(before.empty());
  }
  // A module that index.html does not name: the version covers every file.
  const std::string edited = testing::ReadFile(panel + "/js/dom.js") + "// edited\n";
  testing::WriteFile(panel + "/js/dom.js", edited);
  auto server = SwitchboardProcess::Start(options);
  const std::string after = PanelVersion(OneShot(server->port(), "GET", "/admin/").body);
  ASSERT_FALSE(after.empty());
  EXPECT_NE(after, before);
  const HttpResponse fresh = OneShot(server->port(), "GET", "/admin/v/" + after + "/js/dom.js");
  EXPECT_EQ(fresh.status, 200);
  EXPECT_EQ(fresh.body, edited);
  EXPECT_EQ(fresh.Header("Cache-Control").value_or(""), kImmutable);
  const HttpResponse stale = OneShot(server->port(), "GET", "/admin/v/" + before + "/js/dom.js");
  EXPECT_EQ(stale.status, 302);
  EXPECT_EQ(stale.Header("Location").value_or(""), "/admin/v/" + after + "/js/dom.js");
  EXPECT_EQ(stale.Header("Cache-Control").value_or(""), "no-store");
}

SWITCHBOARD_BOTH_BACKENDS(AdminPanelTest);

}  // namespace
}  // namespace switchboard
