#include "api/admin_panel.h"

#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace switchboard {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kIndex = "index.html";

// Directory of the running executable, from /proc/self/exe; empty when
// unknown.
fs::path ExecutableDir() {
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  return error ? fs::path() : exe.parent_path();
}

http::Response WithPanelHeaders(http::Response response) {
  for (const auto& [name, value] : AdminPanelSecurityHeaders()) response.SetHeader(name, value);
  return response;
}

http::Response NotFound() {
  return WithPanelHeaders(
      http::Response::Text(404, "not found\n").SetHeader("Cache-Control", "no-store"));
}

// RFC 9110 §13.1.2: "*", or a list of (possibly weak) entity tags; the
// weak comparison applies to GET.
bool EtagMatches(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view tag = header.substr(0, comma);
    header = comma == std::string_view::npos ? "" : header.substr(comma + 1);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag == "*") return true;
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

http::Response ServeFile(const http::StaticFiles::File& file, const http::Request& request) {
  // No file has a content hash in its name (there is no build step), so
  // every file is revalidated: a new release is picked up on the next load,
  // and an unchanged file costs a 304.
  const std::optional<std::string_view> condition = request.Header("If-None-Match");
  if (condition && EtagMatches(*condition, file.etag)) {
    return WithPanelHeaders(http::Response(304, "", "")
                                .SetHeader("ETag", file.etag)
                                .SetHeader("Cache-Control", "no-cache"));
  }
  return WithPanelHeaders(http::Response(200, file.content_type, file.body)
                              .SetHeader("ETag", file.etag)
                              .SetHeader("Cache-Control", "no-cache"));
}

http::Response Handle(const http::StaticFiles& files, const http::Request& request, int depth) {
  if (depth == 0 && (request.path().empty() || request.path().back() != '/')) {
    return WithPanelHeaders(http::Response::Text(301, "moved to /admin/\n")
                                .SetHeader("Location", "/admin/")
                                .SetHeader("Cache-Control", "no-cache"));
  }
  std::vector<std::string> segments;
  for (int i = 1; i <= depth; ++i) {
    // Appended, not "p" + std::to_string(i): GCC 12 at -O3 reports a false
    // -Wrestrict inside operator+(const char*, std::string&&).
    const std::string& segment = request.PathParam(std::string("p").append(std::to_string(i)));
    if (!http::StaticFiles::SafeSegment(segment)) return NotFound();
    segments.push_back(segment);
  }
  if (const http::StaticFiles::File* file = files.Find(segments)) return ServeFile(*file, request);
  // A missing file is a 404; any other path is one of the panel's own
  // routes, which index.html handles in the browser.
  if (!segments.empty() && segments.back().find('.') != std::string::npos) return NotFound();
  const http::StaticFiles::File* index = files.Find({std::string(kIndex)});
  return index != nullptr ? ServeFile(*index, request) : NotFound();
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& AdminPanelSecurityHeaders() {
  static const auto* headers = new std::vector<std::pair<std::string, std::string>>{
      {"Content-Security-Policy",
       "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
       "object-src 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
  };
  return *headers;
}

std::optional<std::string> AdminPanelDir(const ServerConfig& server) {
  if (server.admin_panel_dir) {
    if (server.admin_panel_dir->empty()) return std::nullopt;
    return *server.admin_panel_dir;
  }
  return (ExecutableDir() / ".." / "share" / "switchboard" / "admin").lexically_normal().string();
}

std::unique_ptr<const http::StaticFiles> LoadAdminPanel(const ServerConfig& server, Logger& log) {
  const std::optional<std::string> dir = AdminPanelDir(server);
  if (!dir) return nullptr;
  const bool chosen = server.admin_panel_dir.has_value();
  std::error_code error;
  if (!chosen && !fs::is_regular_file(fs::path(*dir) / kIndex, error)) {
    log.Warn("admin panel: no " + std::string(kIndex) + " in " + *dir +
             " (server.admin_panel_dir); /admin/ is not served");
    return nullptr;
  }
  try {
    std::vector<std::string> skipped;
    auto files = std::make_unique<http::StaticFiles>(http::StaticFiles::Load(*dir, &skipped));
    for (const std::string& name : skipped) {
      log.Warn("admin panel: not serving " + name + ": it resolves outside " + *dir);
    }
    if (files->Find({std::string(kIndex)}) == nullptr) {
      throw std::runtime_error(*dir + " has no " + std::string(kIndex));
    }
    return files;
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("server.admin_panel_dir: ") + e.what());
  }
}

void InstallAdminPanel(http::HttpServer& server, const http::StaticFiles& files) {
  const http::StaticFiles* shared = &files;
  std::string pattern = "/admin";
  for (int depth = 0; depth <= kAdminPanelMaxDepth; ++depth) {
    if (depth > 0) pattern += "/:p" + std::to_string(depth);
    server.Get(pattern, [shared, depth](const http::Request& request) {
      return Handle(*shared, request, depth);
    });
  }
}

}  // namespace switchboard
