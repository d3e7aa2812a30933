-- Accepted records were all indexed by their dedupe key (card, counter kind, ATC), unique:
-- one random page of the largest index for every record, at a million cards most of the
-- pages a batch dirtied. For purchases the index decided nothing: a counter value is used
-- or not by the card's counter state (highest ATC and gaps), and a purchase is stored once
-- by its unique identity (`accepted_purchases`: terminal, serial, card). It was read only for
-- the balances of a late record's neighbours, which the counters now keep (migration 015).
-- Loads keep their unique index by key: the resolver and a load's confirmation read a card's
-- load records by counter value.
--
-- The purchases accepted before this migration are copied, by key, into a table of their
-- own: a counter that moved before migrations 013 and 015 does not know its neighbours'
-- balances, and the hub reads those records there, as before.
CREATE TABLE accepted_purchases_before_016 (
    asn BLOB NOT NULL,
    atc INTEGER NOT NULL CHECK (atc BETWEEN 0 AND 65535),
    record BLOB NOT NULL CHECK (length(record) = 51),
    PRIMARY KEY (asn, atc)
) STRICT, WITHOUT ROWID;

INSERT INTO accepted_purchases_before_016 (asn, atc, record)
    SELECT asn, atc, record FROM accepted_records WHERE counter_kind = 0
    ORDER BY asn, atc;

DROP INDEX accepted_records_by_key;
CREATE UNIQUE INDEX accepted_loads_by_key ON accepted_records (asn, atc)
    WHERE counter_kind = 1;
