-- Broker health (core/src/health/health_store.h, docs/health.md): one row per
-- broker the monitor has seen, with its state, streaks and the lease an
-- instance holds while it probes the broker, and the last checks per broker
-- (the monitor keeps 50 and deletes older ones). Timestamps are text as in
-- every other table (`2026-12-05T06:00:00.000Z`), compared as text. Rows go
-- with their broker (ON DELETE CASCADE).
-- Keep in step with migrations/postgresql/004_broker_health.sql.

CREATE TABLE broker_health (
  broker_id        INTEGER PRIMARY KEY REFERENCES mqtt_broker_config (id) ON DELETE CASCADE,
  state            TEXT    NOT NULL DEFAULT 'unknown'
                           CHECK (state IN ('unknown', 'healthy', 'unhealthy')),
  success_streak   INTEGER NOT NULL DEFAULT 0 CHECK (success_streak >= 0),
  failure_streak   INTEGER NOT NULL DEFAULT 0 CHECK (failure_streak >= 0),
  since            TEXT,
  last_checked_at  TEXT,
  last_ok_at       TEXT,
  latency_ms       INTEGER,
  last_error       TEXT,
  checked_by       TEXT,
  next_check_at    TEXT    NOT NULL,
  lease_owner      TEXT,
  lease_expires_at TEXT
);
CREATE INDEX broker_health_due ON broker_health (next_check_at);

CREATE TABLE broker_health_checks (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  broker_id  INTEGER NOT NULL REFERENCES mqtt_broker_config (id) ON DELETE CASCADE,
  checked_at TEXT    NOT NULL,
  ok         INTEGER NOT NULL CHECK (ok IN (0, 1)),
  stage      TEXT    NOT NULL,
  latency_ms INTEGER NOT NULL,
  error      TEXT,
  checked_by TEXT    NOT NULL
);
CREATE INDEX broker_health_checks_broker ON broker_health_checks (broker_id, id);
