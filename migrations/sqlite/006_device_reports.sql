-- What devices report (PUT /api/v1/device/{uuid}/state;
-- core/src/domain/device_reports.h): the last report per device, and the
-- last time any device reported a connection to each broker.
--
-- Connection times live in a table of their own, not in
-- mqtt_broker_config.last_connected_at: every write to mqtt_broker_config
-- bumps config_version (migration 002), which would throw away the broker
-- cache of every instance on each report. Broker reads take the later of the
-- two (core/src/domain/brokers.cc).
-- Keep in step with migrations/postgresql/006_device_reports.sql.

CREATE TABLE device_reports (
  device_id      INTEGER PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
  config_version TEXT    NOT NULL CHECK (length(config_version) BETWEEN 1 AND 256),
  connected      INTEGER NOT NULL CHECK (connected IN (0, 1)),
  broker         TEXT    NOT NULL,
  -- The stored broker whose URL the report named; NULL when none does.
  broker_id      INTEGER REFERENCES mqtt_broker_config (id) ON DELETE SET NULL,
  last_error     TEXT,
  agent_version  TEXT,
  reported_at    TEXT    NOT NULL
);
CREATE INDEX device_reports_broker ON device_reports (broker_id, connected);

CREATE TABLE broker_connections (
  broker_id         INTEGER PRIMARY KEY REFERENCES mqtt_broker_config (id) ON DELETE CASCADE,
  last_connected_at TEXT    NOT NULL
);
