-- Each counter of a card keeps the balances (before and after, 4 bytes each, big-endian) of
-- its accepted record at the highest ATC. Checking a new record's balance chain needs the
-- record just before it, which is nearly always that one: at a million cards, reading it
-- from accepted_records cost a random page of the dedupe index and one of the table for
-- every record ingested. NULL: not known (cards whose counters moved before this
-- migration); the hub then reads the record, as before, until the counter moves again.
ALTER TABLE cards ADD COLUMN offline_point BLOB
    CHECK (offline_point IS NULL OR length(offline_point) = 8);
ALTER TABLE cards ADD COLUMN online_point BLOB
    CHECK (online_point IS NULL OR length(online_point) = 8);
