// PluginLoader: finds a resolver library, checks its ABI version and creates
// the resolver with its params.
//
// Where `plugin: NAME` is looked for (file `lib<NAME>.so`), in order:
//   1. each directory of `resolution.plugin_dirs`, relative ones against the
//      current working directory;
//   2. `<directory of the running executable>/../plugins` (so
//      build/bin/switchboard finds build/plugins from any directory);
//   3. `<directory of the running executable>/../<libdir>/switchboard/plugins`
//      as installed by `cmake --install`, then `../lib/switchboard/plugins`
//      (an installed binary finds its installed plugins).
// `path: FILE` loads exactly that file (a relative path against the working
// directory). Libraries are always opened by absolute path, RTLD_NOW.
//
// Loading order, which is the ABI contract (abi.h): open the library, check
// that both exported symbols exist, read `switchboard_abi_version` and
// compare it with kAbiVersion, and only then call the factory.
//
// Thread-safe (no shared state besides the dynamic linker's).
#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "switchboard/params.h"
#include "switchboard/resolver.h"

namespace switchboard {

// A library could not be made into a resolver. what() names the library and
// the reason, without a YAML location (BuildChain adds it). For invalid
// params, problems() holds each one with its own location.
class PluginLoadError : public std::runtime_error {
 public:
  explicit PluginLoadError(const std::string& message, std::vector<ParamProblem> problems = {})
      : std::runtime_error(message), problems_(std::move(problems)) {}
  const std::vector<ParamProblem>& problems() const { return problems_; }

 private:
  std::vector<ParamProblem> problems_;
};

// The directories searched for `plugin: NAME`, absolute, in order (see above).
std::vector<std::filesystem::path> PluginSearchPath(const std::vector<std::string>& plugin_dirs);

// The file `plugin: NAME` means: the first `<dir>/lib<NAME>.so` that exists.
// Throws PluginLoadError listing every directory searched.
std::filesystem::path FindPluginLibrary(const std::string& name,
                                        const std::vector<std::filesystem::path>& search_path);

// A resolver and where it came from.
struct LoadedResolver {
  // Owns the resolver; its deleter holds the library, so the library stays
  // loaded while this (or a copy) lives.
  std::shared_ptr<const Resolver> resolver;
  std::string name;            // resolver->Name(), read once at creation
  std::filesystem::path file;  // absolute
};

// Opens `file`, checks its ABI version, calls its factory with `params`.
// Throws PluginLoadError: not found, not a shared object, cannot be loaded
// (the dynamic linker's reason), missing symbols, ABI expected X found Y,
// invalid params (all problems), factory failures.
LoadedResolver LoadResolver(const std::filesystem::path& file, const ParamValue& params);

}  // namespace switchboard
