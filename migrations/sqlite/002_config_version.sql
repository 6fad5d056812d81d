-- config_version: one counter that every write to mqtt_broker_config or
-- fleets bumps, in the same transaction, through the triggers below (so
-- writes from the API, the CLI, another instance or an operator's own SQL
-- all count). Resolvers read brokers and fleets from a per-process snapshot
-- that is used only while this counter still has the value it was read at
-- (docs/caching.md). Keep in step with migrations/postgresql/002_config_version.sql.

CREATE TABLE config_version (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 1);

CREATE TRIGGER config_version_brokers_insert AFTER INSERT ON mqtt_broker_config
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER config_version_brokers_update AFTER UPDATE ON mqtt_broker_config
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER config_version_brokers_delete AFTER DELETE ON mqtt_broker_config
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER config_version_fleets_insert AFTER INSERT ON fleets
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER config_version_fleets_update AFTER UPDATE ON fleets
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER config_version_fleets_delete AFTER DELETE ON fleets
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
