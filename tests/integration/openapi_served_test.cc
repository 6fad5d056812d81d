// GET /api/v1/openapi.yaml: the document installed with the server
// (build/share/switchboard/openapi.yaml, copied from docs/openapi.yaml),
// without credentials.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "device_api_test_support.h"

namespace switchboard {
namespace {

using testing::DeviceApiTest;
using testing::HttpResponse;
using testing::OneShot;
using testing::ServeOptions;
using testing::SwitchboardProcess;

class OpenApiServedTest : public DeviceApiTest {};

TEST_P(OpenApiServedTest, TheInstalledDocumentIsServedWithoutCredentials) {
  auto server = SwitchboardProcess::Start(ServeOptions(url()));
  const HttpResponse response = OneShot(server->port(), "GET", "/api/v1/openapi.yaml");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("Content-Type").value_or(""), "application/yaml");
  std::ifstream in(std::string(SWITCHBOARD_SOURCE_DIR) + "/docs/openapi.yaml", std::ios::binary);
  std::ostringstream source;
  source << in.rdbuf();
  EXPECT_EQ(response.body, source.str());
  EXPECT_EQ(response.body.rfind("openapi: 3.1.0\n", 0), 0u);
  // Other methods are refused like on any route.
  EXPECT_EQ(OneShot(server->port(), "POST", "/api/v1/openapi.yaml").status, 405);
}

SWITCHBOARD_BOTH_BACKENDS(OpenApiServedTest);

}  // namespace
}  // namespace switchboard
