#include "api/openapi_document.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "api/route_handlers.h"
#include "http/api_error.h"

namespace switchboard {

namespace fs = std::filesystem;

std::string OpenApiDocumentPath() {
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  const fs::path dir = error ? fs::path(".") : exe.parent_path();
  return (dir / ".." / "share" / "switchboard" / "openapi.yaml").lexically_normal().string();
}

const std::string* OpenApiDocument() {
  // A function-local static: read once, on first use, safely from any thread.
  static const std::optional<std::string> document = []() -> std::optional<std::string> {
    std::ifstream in(OpenApiDocumentPath(), std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    if (!in.good() && !in.eof()) return std::nullopt;
    return text.str();
  }();
  return document ? &*document : nullptr;
}

namespace handlers {

http::Response OpenApi(App&, const http::Request&, const std::string&) {
  const std::string* document = OpenApiDocument();
  if (document == nullptr) {
    throw http::ApiError::NotFound("the OpenAPI document is not installed with this server");
  }
  http::Response response(200, "application/yaml", *document);
  response.SetHeader("Cache-Control", "no-cache");
  return response;
}

}  // namespace handlers
}  // namespace switchboard
