-- The risk evaluator's saved state in its binary form (`jinka_risk::RiskEvaluator::write_state`),
-- cut in chunks of at most 1 MiB numbered from 0, so that neither saving nor loading holds
-- the whole state (160 MB at a million cards) in memory beside the evaluator. A save writes
-- chunks 0..n, deletes those above, and deletes the JSON state of `risk_settings` (name
-- 'state') that hubs before this migration saved; a hub finding no chunks reads that one.
CREATE TABLE risk_state_chunks (
    chunk INTEGER PRIMARY KEY CHECK (chunk >= 0),
    bytes BLOB NOT NULL,
    saved_at_ms INTEGER NOT NULL
) STRICT;
