// libswitchboard_sdk.so exports the SDK and nothing else (core/CMakeLists.txt,
// switchboard/export.h): every defined dynamic symbol (`nm -D
// --defined-only`, demangled) must be a function, vtable or type_info that
// core/include/switchboard/ declares with SWITCHBOARD_EXPORT. The surface
// is read from the headers themselves, so a symbol exported by mistake (an
// internal helper marked with the macro, the library built without hidden
// visibility, libstdc++ instantiations let through) fails this test with
// its name.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "process.h"
#include "test_database.h"

namespace switchboard {
namespace {

namespace fs = std::filesystem;
using ::testing::IsEmpty;

// What the SDK headers mark SWITCHBOARD_EXPORT: free functions by name, and
// classes with the names of the members their bodies declare.
struct SdkSurface {
  std::set<std::string> functions;
  std::map<std::string, std::set<std::string>> classes;
};

// The header text without comments, string literals and preprocessor lines
// (the macro's own #define must not count as a declaration).
std::string CodeOnly(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (line_start && c == '#') {
      // Skip the directive and its continuation lines.
      while (i < text.size() && !(text[i] == '\n' && text[i - 1] != '\\')) ++i;
      out += '\n';
      continue;
    }
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i < text.size() && text[i] != '\n') ++i;
      out += '\n';
      line_start = true;
      continue;
    }
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      i = text.find("*/", i + 2);
      if (i == std::string::npos) break;
      ++i;
      out += ' ';
      continue;
    }
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
      out += "\"\"";
      continue;
    }
    out += c;
    if (c == '\n') {
      line_start = true;
    } else if (c != ' ' && c != '\t') {
      line_start = false;
    }
  }
  return out;
}

void AddSurfaceOf(const std::string& header_text, SdkSurface& surface) {
  const std::string code = CodeOnly(header_text);
  static const std::regex exported_class(
      R"(\b(?:class|struct)\s+SWITCHBOARD_EXPORT\s+(\w+)[^;{]*\{)");
  // Operators too (ParamValue's assignments are defined in the library).
  static const std::regex member(R"((operator\s*[^\s(\w]+|~?\w+)\s*\()");
  static const std::regex exported_function(R"(SWITCHBOARD_EXPORT\s+[^;{()]*?\b(\w+)\s*\()");
  for (std::sregex_iterator it(code.begin(), code.end(), exported_class), end; it != end; ++it) {
    // The class body: from its opening brace to the matching one.
    const std::size_t open = it->position(0) + it->length(0) - 1;
    std::size_t close = open;
    for (int depth = 0; close < code.size(); ++close) {
      if (code[close] == '{') ++depth;
      if (code[close] == '}' && --depth == 0) break;
    }
    const std::string body = code.substr(open, close - open);
    auto& members = surface.classes[(*it)[1]];
    for (std::sregex_iterator m(body.begin(), body.end(), member); m != end; ++m) {
      members.insert((*m)[1]);
    }
  }
  for (std::sregex_iterator it(code.begin(), code.end(), exported_function), end; it != end; ++it) {
    surface.functions.insert((*it)[1]);
  }
}

SdkSurface SurfaceOfHeaders(const std::string& dir) {
  SdkSurface surface;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".h") {
      AddSurfaceOf(testing::ReadFile(entry.path().string()), surface);
    }
  }
  return surface;
}

// The demangled names of `library`'s defined dynamic symbols.
std::vector<std::string> DefinedDynamicSymbols(const std::string& library) {
  const auto nm = testing::RunCommand("nm -D --defined-only -C " + testing::ShellQuote(library));
  EXPECT_EQ(nm.exit_code, 0) << nm.output;
  std::vector<std::string> names;
  std::istringstream lines(nm.output);
  std::string address, type, name;
  while (lines >> address >> type && std::getline(lines >> std::ws, name)) {
    names.push_back(name);
  }
  return names;
}

// The undefined ones (what `library` expects another object to define).
std::vector<std::string> UndefinedDynamicSymbols(const std::string& library) {
  const auto nm = testing::RunCommand("nm -D --undefined-only -C " + testing::ShellQuote(library));
  EXPECT_EQ(nm.exit_code, 0) << nm.output;
  std::vector<std::string> names;
  std::istringstream lines(nm.output);
  std::string type, name;
  while (lines >> type && std::getline(lines >> std::ws, name)) names.push_back(name);
  return names;
}

// Empty when `symbol` is part of `surface`, else why not.
std::string OutsideSurface(const std::string& symbol, const SdkSurface& surface) {
  static const std::string kNamespace = "switchboard::";
  for (const char* prefix : {"vtable for ", "typeinfo for ", "typeinfo name for "}) {
    if (symbol.rfind(prefix, 0) != 0) continue;
    const std::string type = symbol.substr(std::string(prefix).size());
    if (type.rfind(kNamespace, 0) == 0 &&
        surface.classes.count(type.substr(kNamespace.size())) != 0) {
      return "";
    }
    return "not an exported SDK class";
  }
  if (symbol.rfind(kNamespace, 0) != 0) return "not in namespace switchboard";
  // The qualified name: before the parameter list, without ABI tags.
  std::string name = symbol.substr(0, symbol.find('('));
  name = std::regex_replace(name, std::regex(R"(\[abi:\w+\])"), "");
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    const std::size_t next = name.find("::", start);
    parts.push_back(name.substr(start, next - start));
    if (next == std::string::npos) break;
    start = next + 2;
  }
  if (parts.size() == 2 && surface.functions.count(parts[1]) != 0) return "";
  if (parts.size() == 3) {
    const auto it = surface.classes.find(parts[1]);
    if (it != surface.classes.end() && it->second.count(parts[2]) != 0) return "";
  }
  return "not declared SWITCHBOARD_EXPORT in core/include/switchboard/";
}

std::vector<std::string> SymbolsOutside(const std::vector<std::string>& symbols,
                                        const SdkSurface& surface) {
  std::vector<std::string> out;
  for (const auto& symbol : symbols) {
    if (const std::string why = OutsideSurface(symbol, surface); !why.empty()) {
      out.push_back(symbol + "  <- " + why);
    }
  }
  return out;
}

const std::string kHeaders = std::string(SWITCHBOARD_SOURCE_DIR) + "/core/include/switchboard";

// Without optimization (the sanitizer passes build at -O0) the compiler
// does not inline libstdc++'s small templates, and their instantiations
// for SDK types (std::__addressof<switchboard::ParamValue>, …) are emitted
// as weak symbols with the default visibility libstdc++ declares for
// namespace std. An optimized build, what ships, inlines them and must
// export none; an unoptimized one is only checked for everything else.
#ifdef __OPTIMIZE__
constexpr bool kOptimized = true;
#else
constexpr bool kOptimized = false;
#endif

bool IsUninlinedLibstdcxxTemplate(const std::string& symbol) {
  const std::string name = symbol.substr(0, symbol.find('<'));
  return name.find("std::") != std::string::npos && symbol.rfind("vtable for ", 0) != 0 &&
         symbol.rfind("typeinfo", 0) != 0;
}

TEST(SdkExportsTest, TheSdkLibraryExportsOnlyWhatTheSdkHeadersDeclare) {
  const SdkSurface surface = SurfaceOfHeaders(kHeaders);
  auto symbols = DefinedDynamicSymbols(SWITCHBOARD_SDK_LIBRARY);
  ASSERT_FALSE(symbols.empty());
  if (!kOptimized) std::erase_if(symbols, IsUninlinedLibstdcxxTemplate);
  EXPECT_THAT(SymbolsOutside(symbols, surface), IsEmpty());
}

TEST(SdkExportsTest, EachInterfaceHasOneVtableAndTypeInfoInTheSdkLibrary) {
  const auto symbols = DefinedDynamicSymbols(SWITCHBOARD_SDK_LIBRARY);
  const std::set<std::string> defined(symbols.begin(), symbols.end());
  const auto plugin = DefinedDynamicSymbols(std::string(SWITCHBOARD_PLUGIN_DIR) + "/libdevice.so");
  const auto wanted =
      UndefinedDynamicSymbols(std::string(SWITCHBOARD_PLUGIN_DIR) + "/libdevice.so");
  for (const char* type : {"Resolver", "ResolveContext", "BrokerDirectory", "Logger"}) {
    const std::string typeinfo = std::string("typeinfo for switchboard::") + type;
    EXPECT_EQ(defined.count(typeinfo), 1u) << typeinfo;
    EXPECT_EQ(defined.count(std::string("vtable for switchboard::") + type), 1u) << type;
    // A plugin defines none of them: it uses the SDK library's.
    EXPECT_THAT(plugin, ::testing::Not(::testing::Contains(typeinfo)));
  }
  EXPECT_THAT(wanted, ::testing::Contains("typeinfo for switchboard::Resolver"));
  // And exports nothing but the two symbols the host looks up.
  std::set<std::string> plugin_exports(plugin.begin(), plugin.end());
  for (const auto& name : plugin) {
    if (name.rfind("switchboard_", 0) != 0) plugin_exports.erase(name);
  }
  EXPECT_EQ(plugin_exports,
            (std::set<std::string>{"switchboard_abi_version", "switchboard_create_resolver"}));
}

TEST(SdkExportsTest, TheCheckReadsTheSurfaceFromTheHeaders) {
  const SdkSurface surface = SurfaceOfHeaders(kHeaders);
  EXPECT_EQ(surface.functions.count("ParseBrokerUrl"), 1u);
  EXPECT_EQ(surface.functions.count("ActiveBrokerOrPass"), 1u);
  ASSERT_EQ(surface.classes.count("ParamsReader"), 1u);
  EXPECT_EQ(surface.classes.at("ParamsReader").count("Finish"), 1u);
  ASSERT_EQ(surface.classes.count("BrokerDirectory"), 1u);
  EXPECT_EQ(surface.classes.at("BrokerDirectory").count("~BrokerDirectory"), 1u);
  // Declared in the headers, but not exported: no symbol of its own.
  EXPECT_EQ(surface.classes.count("BrokerConfig"), 0u);
  EXPECT_EQ(surface.functions.count("SWITCHBOARD_EXPORT"), 0u);
}

TEST(SdkExportsTest, TheCheckRefusesWhatIsNotSdk) {
  // What a mistake would export: an internal helper, a member the header
  // does not declare, a class the SDK does not export, a libstdc++
  // instantiation, a C symbol.
  const SdkSurface surface = SurfaceOfHeaders(kHeaders);
  const std::vector<std::string> bad = {
      "switchboard::NearestName(std::__cxx11::basic_string<char, std::char_traits<char>, "
      "std::allocator<char> > const&, std::vector<std::__cxx11::basic_string<char, "
      "std::char_traits<char>, std::allocator<char> > > const&)",
      "switchboard::ParamsReader::Helper()",
      "switchboard::StorageBrokerDirectory::ById(long)",
      "typeinfo for switchboard::StorageBrokerDirectory",
      "vtable for switchboard::Chain",
      "void std::__detail::__to_chars_10_impl<unsigned long>(char*, unsigned int, unsigned long)",
      "sqlite3_open",
  };
  EXPECT_EQ(SymbolsOutside(bad, surface).size(), bad.size());
  const std::vector<std::string> good = {
      "switchboard::BrokerUrl[abi:cxx11](switchboard::BrokerConfig const&)",
      "switchboard::ParamsReader::ParamsReader(switchboard::ParamValue const&)",
      "switchboard::Resolver::~Resolver()",
      "typeinfo name for switchboard::Logger",
  };
  EXPECT_THAT(SymbolsOutside(good, surface), IsEmpty());
}

}  // namespace
}  // namespace switchboard
