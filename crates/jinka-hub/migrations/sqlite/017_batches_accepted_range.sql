-- The risk API shows an alert's evidence: a record of a batch, by (batch, record index).
-- Accepted records are stored in arrival order (migration 012) and have no index by batch
-- (none is needed on the ingest path, and one would cost a b-tree insert per record), so the
-- lookup scanned the whole table: 12.6 million rows after the benchmark's day. Each batch now
-- keeps the range of the rowids of its accepted records (a batch is stored in one
-- transaction, so its rows are one run of rowids), and the lookup reads only that range.
-- Batches stored before keep the range their rows have (one pass over the table, here);
-- a batch with no accepted record has none.
ALTER TABLE batches ADD COLUMN first_accepted_id INTEGER;
ALTER TABLE batches ADD COLUMN last_accepted_id INTEGER;

CREATE TEMP TABLE batch_ranges_017 AS
    SELECT batch, min(id) AS first_id, max(id) AS last_id
    FROM accepted_records WHERE batch IS NOT NULL GROUP BY batch;

UPDATE batches SET
    first_accepted_id = (SELECT first_id FROM batch_ranges_017 r WHERE r.batch = batches.id),
    last_accepted_id = (SELECT last_id FROM batch_ranges_017 r WHERE r.batch = batches.id);

DROP TABLE batch_ranges_017;
