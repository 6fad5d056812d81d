// The OpenAPI document served at GET /api/v1/openapi.yaml (no auth).
//
// It is docs/openapi.yaml, installed beside the admin panel:
// <dir of switchboard>/../share/switchboard/openapi.yaml
// (build/share/switchboard/openapi.yaml in the build tree,
// /usr/share/switchboard/openapi.yaml from the Debian package). Read once,
// on the first request, and kept: restart `serve` to pick up a new file.
// A lone binary without the file answers 404 there and serves the rest.
//
// Thread-safe.
#pragma once

#include <string>

namespace switchboard {

// Where the document is looked for.
std::string OpenApiDocumentPath();

// The document's text; nullptr when the file is missing or unreadable.
const std::string* OpenApiDocument();

}  // namespace switchboard
