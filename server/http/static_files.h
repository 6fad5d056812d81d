// StaticFiles: a folder of files read once into memory and looked up by
// relative path, for serving a web front end (the admin panel).
//
// Only what Load() read can ever be served: a lookup is an exact match in a
// map, so no request path reaches the file system. Load() keeps a file only
// when its real path (symlinks resolved) lies inside the folder, and skips
// hidden names (a segment starting with '.'). Find() refuses segments that
// could mean traversal however they were encoded ("..", "%2e%2e" decoded
// once or twice, '/', '\', control characters).
//
// Thread safety: Load() and SetBody() build the set; once it is shared it
// must not change, and Find() and version() may then be called from any
// number of threads at once.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::http {

class StaticFiles {
 public:
  struct File {
    std::string content_type;  // from the file name's extension
    std::string body;
    std::string etag;  // strong validator: a quoted digest of the body
  };

  // Limits that keep a wrong `dir` (say, "/") from reading the whole disk.
  static constexpr std::size_t kMaxFiles = 2000;
  static constexpr std::size_t kMaxTotalBytes = 32 * 1024 * 1024;

  // Reads every regular file under `root`, recursively. A file whose real
  // path is outside `root` (a symlink pointing out) is not loaded; its
  // relative path is appended to `skipped` when that is not null. Throws
  // std::runtime_error naming the folder when it cannot be read or is over
  // a limit above.
  static StaticFiles Load(const std::string& root, std::vector<std::string>* skipped = nullptr);

  // The file at `segments` (already percent-decoded, e.g. {"js", "app.js"}),
  // or nullptr when there is none or a segment is unsafe.
  const File* Find(const std::vector<std::string>& segments) const;

  // Replaces the body of the file at `relative` ("index.html"), keeping its
  // type and recomputing its ETag; version() is left as Load() computed it.
  // Returns false when there is no such file.
  bool SetBody(std::string_view relative, std::string body);

  // kVersionLength lowercase hex digits of a digest over every loaded file's
  // path and bytes, as Load() read them: any added, removed, renamed or
  // edited file changes it. Names a release of the folder in URLs.
  const std::string& version() const { return version_; }
  static constexpr std::size_t kVersionLength = 12;

  // False for "", ".", "..", names starting with '.', and any segment with
  // '/', '\', '%' (a second encoding layer) or a control character.
  static bool SafeSegment(std::string_view segment);

  // "text/html; charset=utf-8" for "index.html", …;
  // "application/octet-stream" for an unknown extension.
  static std::string ContentTypeFor(std::string_view file_name);

  std::size_t size() const { return files_.size(); }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
  std::string version_;
  std::map<std::string, File, std::less<>> files_;  // "js/app.js" -> file
};

}  // namespace switchboard::http
