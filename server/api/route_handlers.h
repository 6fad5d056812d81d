// Every route handler, by the file that defines it. route_table.cc says which
// route each serves and how it is authenticated; response shapes are in
// docs/api.md.
//
// Each is a RouteHandlerFunction (route_table.h): it runs after the
// route's authentication, throws domain errors (domain_errors.h) or
// http::ApiError for the client to see, and leaves the mapping to the route
// table.
#pragma once

#include "api/route_table.h"

namespace switchboard::handlers {

// routes_health.cc: liveness, readiness, Prometheus metrics.
RouteHandlerFunction Healthz;
RouteHandlerFunction Readyz;
RouteHandlerFunction Metrics;

// openapi_document.cc: docs/openapi.yaml as installed (openapi_document.h).
RouteHandlerFunction OpenApi;

// routes_device.cc: the device side. `credential` is the provisioning key
// (RegisterDevice) or the device API key (DeviceMqtt).
RouteHandlerFunction RegisterDevice;
RouteHandlerFunction DeviceMqtt;
RouteHandlerFunction ReportDeviceState;

// routes_admin.cc: explain, reload, the chain in force.
RouteHandlerFunction ExplainResolution;
RouteHandlerFunction Reload;
RouteHandlerFunction ShowChain;

// routes_brokers.cc
RouteHandlerFunction ListBrokers;
RouteHandlerFunction CreateBroker;
RouteHandlerFunction BrokerSummary;
RouteHandlerFunction GetBroker;
RouteHandlerFunction UpdateBroker;
RouteHandlerFunction DeleteBroker;
RouteHandlerFunction TestBroker;
RouteHandlerFunction BrokerHealthChecks;

// routes_mqtt_auth.cc: live broker admission. `credential` is the hook
// token (MqttAuth, MqttAcl); IssueHookToken is the admin's.
RouteHandlerFunction MqttAuth;
RouteHandlerFunction MqttAcl;
RouteHandlerFunction IssueHookToken;

// routes_fleets.cc
RouteHandlerFunction ListFleets;
RouteHandlerFunction CreateFleet;
RouteHandlerFunction GetFleet;
RouteHandlerFunction UpdateFleet;
RouteHandlerFunction DeleteFleet;

// routes_devices.cc: devices, operator side.
RouteHandlerFunction ListDevices;
RouteHandlerFunction GetDevice;
RouteHandlerFunction UpdateDevice;

// routes_keys.cc: provisioning keys.
RouteHandlerFunction CreateProvisioningKey;
RouteHandlerFunction ListProvisioningKeys;
RouteHandlerFunction RevokeProvisioningKey;

}  // namespace switchboard::handlers
