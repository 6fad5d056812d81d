-- Initial schema (PostgreSQL). Keep in step with migrations/sqlite/001_initial.sql:
-- same tables, same columns, same constraints.

CREATE TABLE mqtt_broker_config (
  id                 BIGSERIAL PRIMARY KEY,
  name               TEXT    NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 255),
  description        TEXT,
  protocol           TEXT    NOT NULL DEFAULT 'mqtt' CHECK (protocol IN ('mqtt', 'mqtts', 'ws', 'wss')),
  host               TEXT    NOT NULL CHECK (length(host) BETWEEN 1 AND 255),
  port               INTEGER NOT NULL DEFAULT 1883 CHECK (port BETWEEN 1 AND 65535),
  path               TEXT,
  username           TEXT,
  password           TEXT,
  use_tls            INTEGER NOT NULL DEFAULT 0 CHECK (use_tls IN (0, 1)),
  ca_cert            TEXT,
  client_cert        TEXT,
  client_key         TEXT,
  verify_certificate INTEGER NOT NULL DEFAULT 1 CHECK (verify_certificate IN (0, 1)),
  client_id_prefix   TEXT,
  keep_alive         INTEGER NOT NULL DEFAULT 60 CHECK (keep_alive > 0),
  clean_session      INTEGER NOT NULL DEFAULT 1 CHECK (clean_session IN (0, 1)),
  reconnect_period   INTEGER NOT NULL DEFAULT 1000 CHECK (reconnect_period >= 0),
  connect_timeout    INTEGER NOT NULL DEFAULT 30000 CHECK (connect_timeout > 0),
  is_active          INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
  is_default         INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
  broker_type        TEXT    NOT NULL DEFAULT 'local' CHECK (broker_type IN ('local', 'cloud', 'edge', 'test')),
  region             TEXT,
  weight             INTEGER NOT NULL DEFAULT 100 CHECK (weight > 0),
  extra_config       TEXT,
  created_at         TEXT    NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  updated_at         TEXT    NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  last_connected_at  TEXT
);
-- At most one default broker, enforced by the database.
CREATE UNIQUE INDEX mqtt_broker_config_one_default ON mqtt_broker_config (is_default) WHERE is_default = 1;
CREATE INDEX mqtt_broker_config_region_active ON mqtt_broker_config (region, is_active);
CREATE INDEX mqtt_broker_config_active ON mqtt_broker_config (is_active);

CREATE TABLE fleets (
  id             TEXT    PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
  name           TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
  mqtt_broker_id BIGINT  REFERENCES mqtt_broker_config (id) ON DELETE SET NULL,
  created_at     TEXT    NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  updated_at     TEXT    NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
);
CREATE INDEX fleets_broker ON fleets (mqtt_broker_id);

CREATE TABLE provisioning_keys (
  id                  BIGSERIAL PRIMARY KEY,
  key_hash            TEXT    NOT NULL UNIQUE,
  fleet_id            TEXT    NOT NULL REFERENCES fleets (id) ON DELETE CASCADE,
  description         TEXT,
  max_devices         INTEGER CHECK (max_devices IS NULL OR max_devices >= 0),
  devices_provisioned INTEGER NOT NULL DEFAULT 0 CHECK (devices_provisioned >= 0),
  expires_at          TEXT,
  is_active           INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
  created_at          TEXT    NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  last_used_at        TEXT,
  CHECK (max_devices IS NULL OR devices_provisioned <= max_devices)
);
CREATE INDEX provisioning_keys_fleet ON provisioning_keys (fleet_id);

CREATE TABLE devices (
  id                    BIGSERIAL PRIMARY KEY,
  uuid                  TEXT    NOT NULL UNIQUE CHECK (length(uuid) BETWEEN 1 AND 64),
  device_name           TEXT    NOT NULL CHECK (length(device_name) BETWEEN 1 AND 255),
  device_type           TEXT    NOT NULL CHECK (length(device_type) BETWEEN 1 AND 128),
  fleet_id              TEXT    REFERENCES fleets (id) ON DELETE SET NULL,
  region                TEXT,
  mqtt_broker_id        BIGINT  REFERENCES mqtt_broker_config (id) ON DELETE SET NULL,
  api_key_hash          TEXT    NOT NULL,
  provisioned_by_key_id BIGINT  REFERENCES provisioning_keys (id) ON DELETE SET NULL,
  mac_address           TEXT,
  os_version            TEXT,
  agent_version         TEXT,
  created_at            TEXT    NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  updated_at            TEXT    NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
);
CREATE INDEX devices_broker ON devices (mqtt_broker_id);
CREATE INDEX devices_fleet ON devices (fleet_id);

CREATE TABLE mqtt_users (
  id            BIGSERIAL PRIMARY KEY,
  username      TEXT    NOT NULL UNIQUE,
  password_hash TEXT    NOT NULL,
  device_id     BIGINT  REFERENCES devices (id) ON DELETE CASCADE,
  is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
  created_at    TEXT    NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  updated_at    TEXT    NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
);
CREATE INDEX mqtt_users_device ON mqtt_users (device_id);

CREATE TABLE mqtt_acls (
  id       BIGSERIAL PRIMARY KEY,
  username TEXT    NOT NULL REFERENCES mqtt_users (username) ON DELETE CASCADE,
  topic    TEXT    NOT NULL,
  access   TEXT    NOT NULL CHECK (access IN ('read', 'write', 'readwrite')),
  UNIQUE (username, topic, access)
);
