#include "engine/plugin_loader.h"

#include <dlfcn.h>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <cstdint>
#include <fstream>

#include "switchboard/abi.h"

namespace switchboard {
namespace fs = std::filesystem;
namespace {

bool ValidPluginName(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string Join(const std::vector<fs::path>& paths) {
  std::string out;
  for (const auto& p : paths) out += (out.empty() ? "" : ", ") + p.string();
  return out;
}

bool HasElfHeader(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, sizeof magic) && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' &&
         magic[3] == 'F';
}

// True when `address` lies in the same loaded object as `anchor`: guards
// against a library whose `switchboard_abi_version` is not a Boost.DLL alias
// (a pointer to the version), which we would otherwise dereference blindly.
bool SameObject(const void* anchor, const void* address) {
  Dl_info a{}, b{};
  return dladdr(anchor, &a) != 0 && dladdr(address, &b) != 0 && a.dli_fbase == b.dli_fbase;
}

}  // namespace

std::vector<fs::path> PluginSearchPath(const std::vector<std::string>& plugin_dirs) {
  std::vector<fs::path> out;
  auto add = [&out](fs::path dir) {
    dir = dir.lexically_normal();
    for (const auto& existing : out) {
      if (existing == dir) return;
    }
    out.push_back(std::move(dir));
  };
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  for (const auto& dir : plugin_dirs) {
    const fs::path p(dir);
    add(p.is_absolute() || ec ? p : cwd / p);
  }
  boost::dll::fs::error_code exe_ec;
  const fs::path exe(boost::dll::program_location(exe_ec).string());
  if (!exe_ec && !exe.empty()) {
    add(exe.parent_path() / ".." / "plugins");
#ifdef SWITCHBOARD_INSTALL_PLUGIN_DIR
    // Where `cmake --install` puts them, e.g. lib/x86_64-linux-gnu/switchboard/plugins.
    add(exe.parent_path() / ".." / SWITCHBOARD_INSTALL_PLUGIN_DIR);
#endif
    add(exe.parent_path() / ".." / "lib" / "switchboard" / "plugins");
  }
  return out;
}

fs::path FindPluginLibrary(const std::string& name, const std::vector<fs::path>& search_path) {
  if (!ValidPluginName(name)) {
    throw PluginLoadError("invalid plugin name '" + name +
                          "': use letters, digits, '_' and '-' (or `path:` for a library file)");
  }
  const std::string file = "lib" + name + ".so";
  for (const auto& dir : search_path) {
    std::error_code ec;
    const fs::path candidate = dir / file;
    if (fs::is_regular_file(candidate, ec)) return candidate;
  }
  throw PluginLoadError("plugin '" + name + "' not found: no " + file + " in " + Join(search_path));
}

LoadedResolver LoadResolver(const fs::path& requested, const ParamValue& params) {
  std::error_code ec;
  const fs::path file = fs::absolute(requested, ec).lexically_normal();
  const std::string where = "library " + file.string();
  if (!fs::exists(file, ec)) throw PluginLoadError(where + " not found");
  if (!fs::is_regular_file(file, ec)) throw PluginLoadError(where + " is not a regular file");
  if (!HasElfHeader(file)) {
    throw PluginLoadError(where + " is not a shared object (no ELF header)");
  }

  auto library = std::make_shared<boost::dll::shared_library>();
  boost::dll::fs::error_code load_ec;
  dlerror();  // clear any stale message
  library->load(boost::dll::fs::path(file.string()), boost::dll::load_mode::rtld_now, load_ec);
  if (load_ec) {
    const char* why = dlerror();  // Boost.DLL drops the dynamic linker's reason
    throw PluginLoadError(where + " cannot be loaded: " + (why ? why : load_ec.message()));
  }

  std::vector<std::string> missing;
  for (const char* symbol : {SWITCHBOARD_ABI_SYMBOL, SWITCHBOARD_FACTORY_SYMBOL}) {
    if (!library->has(symbol)) missing.push_back(symbol);
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw PluginLoadError(where + " is not a Switchboard resolver plugin: missing exported " +
                          (missing.size() == 1 ? "symbol " : "symbols ") + list +
                          " (export them with SWITCHBOARD_RESOLVER_PLUGIN)");
  }

  // The ABI version comes first: nothing else in the library is touched
  // before it matches.
  const void* const& alias = library->get<const void*>(SWITCHBOARD_ABI_SYMBOL);
  if (alias == nullptr || !SameObject(&alias, alias)) {
    throw PluginLoadError(where + ": malformed " SWITCHBOARD_ABI_SYMBOL
                                  " symbol (export it with SWITCHBOARD_RESOLVER_PLUGIN)");
  }
  const std::uint32_t found = *static_cast<const std::uint32_t*>(alias);
  if (found != kAbiVersion) {
    throw PluginLoadError(where + ": ABI version mismatch: expected " +
                          std::to_string(kAbiVersion) + ", found " + std::to_string(found) +
                          " (rebuild the plugin against this Switchboard's SDK)");
  }

  ResolverFactory& factory = library->get_alias<ResolverFactory>(SWITCHBOARD_FACTORY_SYMBOL);
  std::vector<ParamProblem> problems;
  std::unique_ptr<Resolver> created;
  std::string failure;
  try {
    created = factory(params, problems);
  } catch (const std::exception& e) {
    failure = e.what();  // copied: the exception dies before its library
  } catch (...) {
    failure = "unknown exception";
  }
  if (!failure.empty()) {
    created.reset();
    throw PluginLoadError(where + ": creating the resolver failed: " + failure);
  }
  if (!problems.empty()) {
    created.reset();
    throw PluginLoadError(where + ": invalid params", std::move(problems));
  }
  if (!created) {
    throw PluginLoadError(where + ": the factory returned no resolver and reported no problem");
  }

  LoadedResolver out;
  try {
    out.name = created->Name();
  } catch (const std::exception& e) {
    failure = std::string("Name() threw: ") + e.what();
  } catch (...) {
    failure = "Name() threw";
  }
  if (failure.empty() && out.name.empty()) failure = "Name() is empty";
  if (!failure.empty()) {
    created.reset();
    throw PluginLoadError(where + ": " + failure);
  }
  out.file = file;
  // The deleter owns a reference to the library: it is unloaded (if ever)
  // only after the resolver is destroyed.
  out.resolver = std::shared_ptr<const Resolver>(
      created.release(), [library](const Resolver* resolver) { delete resolver; });
  return out;
}

}  // namespace switchboard
