-- Each counter of a card keeps the balances (before and after, 4 bytes each, big-endian) of
-- its accepted record at the highest ATC, as in the SQLite engine's migration 013: the
-- balance chain check of a new record then reads no stored record. NULL: not known (cards
-- whose counters moved before this migration); the hub reads the record, as before.
ALTER TABLE cards ADD COLUMN offline_point bytea
    CHECK (offline_point IS NULL OR length(offline_point) = 8);
ALTER TABLE cards ADD COLUMN online_point bytea
    CHECK (online_point IS NULL OR length(online_point) = 8);
