-- The risk API shows an alert's evidence: a record of a batch, by (batch, record index).
-- Accepted records had no index by batch, so the lookup scanned the whole table (12.6
-- million rows after the benchmark's day). The embedded engine keeps each batch's range of
-- rowids instead (its migration 017); a PostgreSQL table has no rowid order to keep, so here
-- a partial index serves the lookup (appended to in upload order: a batch's entries are
-- the index's newest).
CREATE INDEX accepted_records_by_batch ON accepted_records (batch, record_index)
    WHERE batch IS NOT NULL;
