// Operator routes (brokers, fleets, devices, provisioning keys). Each group
// lives in its own file; the response shapes are documented in docs/api.md.
#include "api/routes_operator.h"

#include "api/routes.h"

namespace switchboard {

void InstallOperatorRoutes(http::HttpServer& server, App& app) {
  InstallBrokerRoutes(server, app);
  InstallFleetRoutes(server, app);
  InstallDeviceAdminRoutes(server, app);
  InstallProvisioningKeyRoutes(server, app);
}

}  // namespace switchboard
