// The admin panel (docs/admin-panel.md): static files served at /admin/.
//
// The panel is a browser application that talks to the public REST API
// only; the server hands out its files and nothing else. Every panel
// response carries the security headers below (AdminPanelSecurityHeaders),
// 404s included.
//
//   GET /admin            301 to /admin/
//   GET /admin/           index.html
//   GET /admin/<path>     the file at <path>; when there is none, index.html
//                         (the panel's own routes, e.g. /admin/devices/<uuid>)
//                         unless the last segment names a file (has a dot): 404
//   GET /admin/v/<version>/<path>
//                         the file at <path> (not index.html) with
//                         `Cache-Control: public, max-age=31536000, immutable`;
//                         <version> is StaticFiles::version(), which changes
//                         when any file does. Another <version>: 302 to the
//                         current one when the file exists, else 404; both
//                         `no-store`. Nothing else lives under /admin/v/, so a
//                         top-level folder `v` in the panel is never served.
//   traversal ("..", encoded or not), hidden names: 404
//
// index.html and the client-side routes go out `no-cache` with an ETag, as
// do unversioned paths to files; index.html is served with its
// "/admin/<file>" references rewritten to /admin/v/<version>/<file>, so a
// browser revalidates the page and keeps its assets for good.
//
// Paths deeper than kAdminPanelMaxDepth segments below /admin/ are not
// routed (the server's JSON 404). Files are read once at startup: restart
// `serve` to pick up edits.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "http/http_server.h"
#include "http/static_files.h"
#include "switchboard/logger.h"

namespace switchboard {

inline constexpr int kAdminPanelMaxDepth = 8;

// Header name/value pairs on every panel response: a strict
// Content-Security-Policy (default-src 'self', no inline script, no eval,
// frame-ancestors 'none'), nosniff, no referrer, no framing.
const std::vector<std::pair<std::string, std::string>>& AdminPanelSecurityHeaders();

// Where the panel's files are: `server.admin_panel_dir` when set, else the
// folder installed beside the executable (<exe>/../share/switchboard/admin:
// build/share/switchboard/admin in the build tree, /usr/share/… installed).
// std::nullopt when the panel is off (`admin_panel_dir: ""`).
std::optional<std::string> AdminPanelDir(const ServerConfig& server);

// Loads the panel for `serve`, index.html rewritten as above. Returns nullptr (and logs a warning)
// when the default folder has no index.html, so a lone binary still serves the API. Throws
// std::runtime_error naming `server.admin_panel_dir` when a folder set there cannot be loaded or
// has no index.html.
std::unique_ptr<const http::StaticFiles> LoadAdminPanel(const ServerConfig& server, Logger& log);

// Adds the GET routes above. `files` must hold index.html and outlive the
// server (handlers keep a pointer).
void InstallAdminPanel(http::HttpServer& server, const http::StaticFiles& files);

}  // namespace switchboard
