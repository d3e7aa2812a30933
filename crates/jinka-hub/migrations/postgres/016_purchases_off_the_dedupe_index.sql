-- Purchases leave the unique index of the dedupe key (card, counter kind, ATC), as in the
-- SQLite engine's migration 016: the card's counter state decides whether a counter value
-- is used, a purchase is stored once by its identity (`accepted_purchases`), and the
-- balances of a late record's neighbours are kept with the counters (migration 015). Loads
-- keep a unique index by key. The purchases accepted before are copied, by key, into a table
-- of their own, read for counters that do not know their neighbours' balances.
CREATE TABLE accepted_purchases_before_016 (
    asn bytea NOT NULL,
    atc bigint NOT NULL CHECK (atc BETWEEN 0 AND 65535),
    record bytea NOT NULL CHECK (length(record) = 51),
    PRIMARY KEY (asn, atc)
);

INSERT INTO accepted_purchases_before_016 (asn, atc, record)
    SELECT asn, atc, record FROM accepted_records WHERE counter_kind = 0;

ALTER TABLE accepted_records DROP CONSTRAINT accepted_records_pkey;
CREATE UNIQUE INDEX accepted_loads_by_key ON accepted_records (asn, atc)
    WHERE counter_kind = 1;
