#include "api/admin_panel.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace switchboard {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kIndex = "index.html";
constexpr std::string_view kVersioned = "v";
constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";

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

http::Response ServeFile(const http::StaticFiles::File& file, const http::Request& request,
                         std::string_view cache_control = "no-cache") {
  const std::optional<std::string_view> condition = request.Header("If-None-Match");
  if (condition && EtagMatches(*condition, file.etag)) {
    return WithPanelHeaders(http::Response(304, "", "")
                                .SetHeader("ETag", file.etag)
                                .SetHeader("Cache-Control", std::string(cache_control)));
  }
  return WithPanelHeaders(http::Response(200, file.content_type, file.body)
                              .SetHeader("ETag", file.etag)
                              .SetHeader("Cache-Control", std::string(cache_control)));
}

// A path segment for a Location header: RFC 3986 pchar, the rest escaped.
std::string EncodeSegment(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : segment) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        std::string_view("-._~!$&'()*+,;=:@").find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

// /admin/v/<version>/<file>: the file, cached for a year, because the
// version changes whenever any file does. index.html is never served here:
// it must be revalidated to learn a new version. An older (or made-up)
// version of a file that exists is sent to the current one, and neither
// the redirect nor a 404 may be stored, so a client is never stuck with
// an answer from another release.
http::Response ServeVersioned(const http::StaticFiles& files,
                              const std::vector<std::string>& segments,
                              const http::Request& request) {
  const std::vector<std::string> rest(segments.begin() + std::min<std::size_t>(2, segments.size()),
                                      segments.end());
  const http::StaticFiles::File* file =
      rest.size() == 1 && rest[0] == kIndex ? nullptr : files.Find(rest);
  if (file == nullptr) return NotFound();
  if (segments[1] == files.version()) return ServeFile(*file, request, kImmutable);
  std::string location = "/admin/v/" + files.version();
  for (const std::string& segment : rest) location.append("/").append(EncodeSegment(segment));
  return WithPanelHeaders(http::Response::Text(302, "moved to " + location + "\n")
                              .SetHeader("Location", location)
                              .SetHeader("Cache-Control", "no-store"));
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
  if (!segments.empty() && segments[0] == kVersioned)
    return ServeVersioned(files, segments, request);
  if (const http::StaticFiles::File* file = files.Find(segments)) return ServeFile(*file, request);
  // A missing file is a 404; any other path is one of the panel's own
  // routes, which index.html handles in the browser.
  if (!segments.empty() && segments.back().find('.') != std::string::npos) return NotFound();
  const http::StaticFiles::File* index = files.Find({std::string(kIndex)});
  return index != nullptr ? ServeFile(*index, request) : NotFound();
}

// index.html with every quoted "/admin/<file>" that names a loaded file
// (other than index.html) pointed at "/admin/v/<version>/<file>". The
// panel's own routes ("/admin/brokers") name no file and stay as they are;
// modules imported from a versioned file by relative path resolve under
// the same prefix, so only the page itself needs rewriting.
std::string VersionAssetReferences(std::string_view html, const http::StaticFiles& files) {
  constexpr std::string_view kPrefix = "/admin/";
  std::string out;
  std::size_t done = 0;
  for (std::size_t at = html.find(kPrefix); at != std::string_view::npos;
       at = html.find(kPrefix, at + 1)) {
    if (at == 0 || (html[at - 1] != '"' && html[at - 1] != '\'')) continue;
    const std::size_t end = html.find(html[at - 1], at);
    if (end == std::string_view::npos) break;
    const std::string_view relative = html.substr(at + kPrefix.size(), end - at - kPrefix.size());
    std::vector<std::string> segments;
    for (std::size_t from = 0;;) {
      const std::size_t slash = relative.find('/', from);
      segments.emplace_back(relative.substr(from, slash - from));
      if (slash == std::string_view::npos) break;
      from = slash + 1;
    }
    if (relative == kIndex || files.Find(segments) == nullptr) continue;
    out.append(html.substr(done, at - done))
        .append("/admin/")
        .append(kVersioned)
        .append("/")
        .append(files.version())
        .append("/")
        .append(relative);
    done = end;
  }
  out.append(html.substr(done));
  return out;
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
    const http::StaticFiles::File* index = files->Find({std::string(kIndex)});
    if (index == nullptr) throw std::runtime_error(*dir + " has no " + std::string(kIndex));
    files->SetBody(kIndex, VersionAssetReferences(index->body, *files));
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
