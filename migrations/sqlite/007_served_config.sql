-- What the server last handed each device (the configVersion of its last
-- registration or config fetch answer), and the config_version counter
-- (migration 002) that answer was resolved at. A device is in sync when its
-- last report (device_reports) carries served_config_version and
-- served_config_counter is still the current counter: one comparison per
-- device, so the brokers summary and the devices list filter need no
-- resolution (docs/api.md, "inSync"; core/src/domain/device_reports.h).
--
-- The fetch writes these only when they change (a new version, or a newer
-- counter), never on an answer that repeats them. An operator edit of the
-- device (PUT /api/v1/devices/{uuid}) clears them: the device is then not
-- in sync until it fetches again.
-- Keep in step with migrations/postgresql/007_served_config.sql.

ALTER TABLE devices ADD COLUMN served_config_version TEXT;
ALTER TABLE devices ADD COLUMN served_config_counter INTEGER;
