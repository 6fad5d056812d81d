// docs/openapi.yaml and the route table (server/api/route_table.cc) name the
// same routes with the same methods: a route added to one and not the other
// fails here. Path templates map as "{uuid}" <-> ":uuid".
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

#include "api/route_table.h"

namespace switchboard {
namespace {

const char* const kMethods[] = {"get",   "put",  "post",    "delete",
                                "patch", "head", "options", "trace"};

// "/api/v1/devices/{uuid}" -> "/api/v1/devices/:uuid"
std::string ToRoutePattern(const std::string& path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '{') {
      const std::size_t close = path.find('}', i);
      out += ":" + path.substr(i + 1, close - i - 1);
      i = close;
    } else {
      out += path[i];
    }
  }
  return out;
}

std::string Upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

std::set<std::string> DocumentedRoutes() {
  const YAML::Node document =
      YAML::LoadFile(std::string(SWITCHBOARD_SOURCE_DIR) + "/docs/openapi.yaml");
  std::set<std::string> routes;
  for (const auto& path : document["paths"]) {
    for (const char* method : kMethods) {
      if (path.second[method]) {
        routes.insert(Upper(method) + " " + ToRoutePattern(path.first.as<std::string>()));
      }
    }
  }
  return routes;
}

TEST(OpenApiRoutesTest, TheDocumentAndTheRouteTableNameTheSameRoutes) {
  std::set<std::string> served;
  for (const Route& route : RouteTable()) {
    served.insert(std::string(route.method) + " " + route.pattern);
  }
  const std::set<std::string> documented = DocumentedRoutes();
  for (const std::string& route : served) {
    EXPECT_TRUE(documented.contains(route)) << route << " is served but not in docs/openapi.yaml";
  }
  for (const std::string& route : documented) {
    EXPECT_TRUE(served.contains(route)) << route << " is in docs/openapi.yaml but not served";
  }
  EXPECT_GT(served.size(), 20u);
}

TEST(OpenApiRoutesTest, EveryPathParameterIsDeclared) {
  const YAML::Node document =
      YAML::LoadFile(std::string(SWITCHBOARD_SOURCE_DIR) + "/docs/openapi.yaml");
  for (const auto& path : document["paths"]) {
    const std::string name = path.first.as<std::string>();
    for (std::size_t open = name.find('{'); open != std::string::npos;
         open = name.find('{', open + 1)) {
      const std::string parameter = name.substr(open + 1, name.find('}', open) - open - 1);
      for (const char* method : kMethods) {
        if (!path.second[method]) continue;
        bool declared = false;
        for (const YAML::Node& list :
             {path.second["parameters"], path.second[method]["parameters"]}) {
          if (!list) continue;
          for (const YAML::Node& p : list) {
            if (p["$ref"]) {
              const std::string ref = p["$ref"].as<std::string>();
              const YAML::Node target =
                  document["components"]["parameters"][ref.substr(ref.rfind('/') + 1)];
              declared = declared || (target && target["name"].as<std::string>() == parameter &&
                                      target["in"].as<std::string>() == "path");
            } else {
              declared = declared || (p["name"].as<std::string>() == parameter &&
                                      p["in"].as<std::string>() == "path");
            }
          }
        }
        EXPECT_TRUE(declared) << Upper(method) << " " << name << ": {" << parameter << "}";
      }
    }
  }
}

}  // namespace
}  // namespace switchboard
