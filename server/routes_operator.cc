// Operator routes (brokers, fleets, devices, provisioning keys): being built.
#include "routes.h"

namespace switchboard {

void InstallOperatorRoutes(http::HttpServer&, App&) {}

}  // namespace switchboard
