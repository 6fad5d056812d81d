// The operator routes, one group per resource; InstallOperatorRoutes
// (routes.h) installs them all. Every route requires the admin token.
#pragma once

#include "app.h"
#include "http/http_server.h"

namespace switchboard {

// /api/v1/mqtt/brokers, …/summary, …/:id, …/:id/test
void InstallBrokerRoutes(http::HttpServer& server, App& app);
// /api/v1/fleets, …/:id
void InstallFleetRoutes(http::HttpServer& server, App& app);
// /api/v1/devices, …/:uuid (…/:uuid/resolution is in routes_admin.cc)
void InstallDeviceAdminRoutes(http::HttpServer& server, App& app);
// /api/v1/provisioning-keys, …/:id
void InstallProvisioningKeyRoutes(http::HttpServer& server, App& app);

}  // namespace switchboard
