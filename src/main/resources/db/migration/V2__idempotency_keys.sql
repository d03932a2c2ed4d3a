-- Idempotency-Key records of the write path (POST /v1/{resource}/bulk, PATCH, DELETE, POST /v1/batch).
-- A key is claimed by inserting its row first, in the same transaction as the write; the row is
-- completed with the request's hash and the response just before the commit, so a committed row
-- always has both, and a rolled-back request leaves nothing behind.
CREATE TABLE sluice_idempotency (
  tenant       bigint      NOT NULL,
  key          text        NOT NULL,
  request_hash bytea,                  -- SHA-256 of operation, resource, parameters and body
  response     text,                   -- the JSON body of the first (successful) response
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  PRIMARY KEY (tenant, key)
);
-- the periodic cleanup of expired keys
CREATE INDEX sluice_idempotency_expires_idx ON sluice_idempotency (expires_at);
