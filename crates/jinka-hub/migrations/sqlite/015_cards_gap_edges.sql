-- Each counter of a card keeps the balances of its accepted records at the edges of its gaps
-- (the ATC just before a gap and the one just after), 10 bytes each: the ATC, the balance
-- before and the balance after, big-endian, in ATC order. A record that arrives late fills
-- a gap, and its balance chain is checked against both edges: at a million cards, where
-- records of one card reach the hub out of order through several acquirers' batches, reading
-- them cost two random pages of the dedupe index and two of the table for each such record.
-- Empty: none known (counters that moved before this migration, or edges accepted without
-- their balances); the hub reads the records, as before.
ALTER TABLE cards ADD COLUMN offline_edges BLOB NOT NULL DEFAULT x''
    CHECK (length(offline_edges) % 10 = 0);
ALTER TABLE cards ADD COLUMN online_edges BLOB NOT NULL DEFAULT x''
    CHECK (length(online_edges) % 10 = 0);
