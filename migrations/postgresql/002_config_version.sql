-- config_version: one counter that every write to mqtt_broker_config or
-- fleets bumps, in the same transaction, through the triggers below (so
-- writes from the API, the CLI, another instance or an operator's own SQL
-- all count). Resolvers read brokers and fleets from a per-process snapshot
-- that is used only while this counter still has the value it was read at
-- (docs/caching.md). Keep in step with migrations/sqlite/002_config_version.sql.
--
-- Statement-level BEFORE triggers: a transaction takes the counter's row
-- lock before any broker or fleet row lock, so concurrent operator writes
-- queue on the counter instead of deadlocking on each other.

CREATE TABLE config_version (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  version BIGINT  NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 1);

CREATE FUNCTION config_version_bump() RETURNS trigger LANGUAGE plpgsql AS
  'BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; RETURN NULL; END';

CREATE TRIGGER config_version_brokers
  BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON mqtt_broker_config
  FOR EACH STATEMENT EXECUTE FUNCTION config_version_bump();
CREATE TRIGGER config_version_fleets
  BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON fleets
  FOR EACH STATEMENT EXECUTE FUNCTION config_version_bump();
