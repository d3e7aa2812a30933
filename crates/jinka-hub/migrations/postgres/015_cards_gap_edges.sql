-- Each counter of a card keeps the balances of its accepted records at the edges of its gaps,
-- as in the SQLite engine's migration 015: a late record filling a gap has its balance chain
-- checked with no stored record read. Empty: none known; the hub reads the records, as before.
ALTER TABLE cards ADD COLUMN offline_edges bytea NOT NULL DEFAULT '\x'::bytea
    CHECK (length(offline_edges) % 10 = 0);
ALTER TABLE cards ADD COLUMN online_edges bytea NOT NULL DEFAULT '\x'::bytea
    CHECK (length(online_edges) % 10 = 0);
