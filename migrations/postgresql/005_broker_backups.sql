-- Failover backups: the brokers a device is handed, in order, after its own
-- broker when that one is down (core/src/engine/endpoint_list.h,
-- docs/api.md). Stored as the ids in decimal, comma-separated ("3,5"), NULL
-- when there are none: the list is short, always read whole with its row and
-- cached with it (docs/caching.md), and the writes keep it valid (brokers.cc:
-- every id names another broker; a deleted broker is removed from every list
-- in the delete's transaction). Updating the column bumps config_version
-- through the triggers of migration 002.
-- Keep in step with migrations/sqlite/005_broker_backups.sql.

ALTER TABLE mqtt_broker_config ADD COLUMN backup_broker_ids TEXT;
