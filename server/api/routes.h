// The HTTP API's routes (SPEC §4), installed on an HttpServer before Serve().
// Each Install* function adds one group; InstallRoutes adds them all.
#pragma once

#include "app.h"
#include "http/http_server.h"

namespace switchboard {

// POST /api/v1/device/register, GET /api/v1/device/:uuid/mqtt
void InstallDeviceRoutes(http::HttpServer& server, App& app);
// /api/v1/mqtt/brokers…, /api/v1/fleets…, /api/v1/devices…, /api/v1/provisioning-keys…
void InstallOperatorRoutes(http::HttpServer& server, App& app);
// GET /api/v1/devices/:uuid/resolution, POST /api/v1/admin/reload, GET /api/v1/admin/chain
void InstallAdminRoutes(http::HttpServer& server, App& app);
// POST /api/v1/mqtt/auth, /api/v1/mqtt/acl (hook token),
// POST /api/v1/mqtt/brokers/:id/hook-token (admin)
void InstallMqttAuthRoutes(http::HttpServer& server, App& app);
// GET /healthz, /readyz, /metrics
void InstallHealthRoutes(http::HttpServer& server, App& app);

void InstallRoutes(http::HttpServer& server, App& app);

}  // namespace switchboard
