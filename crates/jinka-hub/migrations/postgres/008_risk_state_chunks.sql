-- The risk evaluator's saved state in chunks: the same table as SQLite's
-- `008_risk_state_chunks.sql` (see there).
CREATE TABLE risk_state_chunks (
    chunk integer PRIMARY KEY CHECK (chunk >= 0),
    bytes bytea NOT NULL,
    saved_at_ms bigint NOT NULL
);
