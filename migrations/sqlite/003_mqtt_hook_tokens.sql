-- Per-broker hook tokens for the live admission routes (POST /api/v1/mqtt/auth
-- and /api/v1/mqtt/acl; core/src/domain/hook_tokens.h). A broker that calls
-- them with its own token is identified by it, so mqtt_auth.restrict_to_assigned
-- can admit a device only on the brokers assigned to it. Only the SHA-256 of
-- the token is stored (it is 256 random bits: a fast hash is enough, and the
-- UNIQUE index finds it in O(1)). One token per broker; rotating replaces it.
-- Keep in step with migrations/postgresql/003_mqtt_hook_tokens.sql.

CREATE TABLE mqtt_hook_tokens (
  broker_id  INTEGER PRIMARY KEY REFERENCES mqtt_broker_config (id) ON DELETE CASCADE,
  token_hash TEXT    NOT NULL UNIQUE CHECK (length(token_hash) = 64),
  created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
