#include "http/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "util/crypto.h"

namespace switchboard::http {
namespace {

namespace fs = std::filesystem;

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// True when `path` is `root` itself or below it. Both are canonical.
bool Inside(const fs::path& path, const fs::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

std::string ReadWhole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream body;
  body << in.rdbuf();
  if (!in && !in.eof()) throw std::runtime_error("cannot read " + path.string());
  return body.str();
}

}  // namespace

StaticFiles StaticFiles::Load(const std::string& root, std::vector<std::string>* skipped) {
  std::error_code error;
  const fs::path canonical_root = fs::canonical(root, error);
  if (error || !fs::is_directory(canonical_root)) {
    throw std::runtime_error(root + ": not a readable directory");
  }
  StaticFiles files;
  files.root_ = root;
  std::size_t total = 0;
  fs::recursive_directory_iterator it(canonical_root, error);
  if (error) throw std::runtime_error(root + ": " + error.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (error) throw std::runtime_error(root + ": " + error.message());
    const fs::path& path = it->path();
    const std::string name = path.filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;  // follows symlinks; directories recurse
    const std::string relative = path.lexically_relative(canonical_root).generic_string();
    const fs::path real = fs::canonical(path, error);
    if (error || !Inside(real, canonical_root)) {
      if (skipped != nullptr) skipped->push_back(relative);
      error.clear();
      continue;
    }
    File file;
    file.body = ReadWhole(path);
    total += file.body.size();
    if (files.files_.size() + 1 > kMaxFiles || total > kMaxTotalBytes) {
      throw std::runtime_error(root + ": more than " + std::to_string(kMaxFiles) + " files or " +
                               std::to_string(kMaxTotalBytes / (1024 * 1024)) +
                               " MiB: is this the right folder?");
    }
    file.content_type = ContentTypeFor(name);
    file.etag = '"' + Sha256Hex(file.body).substr(0, 32) + '"';
    files.files_.emplace(relative, std::move(file));
  }
  // Over the map, which is ordered by path, so the directory's listing order
  // does not matter; the NUL and newline keep "a"+"bc" apart from "ab"+"c".
  std::string listing;
  for (const auto& [path, file] : files.files_) {
    listing.append(path).append(1, '\0').append(Sha256Hex(file.body)).append(1, '\n');
  }
  files.version_ = Sha256Hex(listing).substr(0, kVersionLength);
  return files;
}

const StaticFiles::File* StaticFiles::Find(const std::vector<std::string>& segments) const {
  if (segments.empty()) return nullptr;
  std::string key;
  for (const std::string& segment : segments) {
    if (!SafeSegment(segment)) return nullptr;
    if (!key.empty()) key += '/';
    key += segment;
  }
  const auto it = files_.find(key);
  return it == files_.end() ? nullptr : &it->second;
}

bool StaticFiles::SetBody(std::string_view relative, std::string body) {
  const auto it = files_.find(relative);
  if (it == files_.end()) return false;
  it->second.etag = '"' + Sha256Hex(body).substr(0, 32) + '"';
  it->second.body = std::move(body);
  return true;
}

bool StaticFiles::SafeSegment(std::string_view segment) {
  if (segment.empty() || segment[0] == '.') return false;
  for (const char c : segment) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '/' || c == '\\' || c == '%' || byte < 0x20 || byte == 0x7f) return false;
  }
  return true;
}

std::string StaticFiles::ContentTypeFor(std::string_view file_name) {
  static const auto* types = new std::map<std::string, std::string, std::less<>>{
      {"css", "text/css; charset=utf-8"},
      {"html", "text/html; charset=utf-8"},
      {"ico", "image/x-icon"},
      {"js", "text/javascript; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"png", "image/png"},
      {"svg", "image/svg+xml"},
      {"txt", "text/plain; charset=utf-8"},
      {"webmanifest", "application/manifest+json"},
      {"woff2", "font/woff2"},
  };
  const std::size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  const auto it = types->find(Lower(file_name.substr(dot + 1)));
  return it == types->end() ? "application/octet-stream" : it->second;
}

}  // namespace switchboard::http
