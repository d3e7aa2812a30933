-- Accepted records were stored in the order of their dedupe key (card, counter kind, ATC),
-- whole: a batch names cards from all over the network, so each of its records wrote a
-- random page of the largest table of the database (about a hundred bytes a record, a
-- gigabyte at a million cards). The table now keeps its rows in the order they arrive (a
-- rowid), which a batch fills page by page; the dedupe key keeps its uniqueness through a
-- unique index of the key alone, a fifth of the table's size, and still the only random
-- pages an accepted record writes there. Nothing refers to this table: it is rebuilt with
-- foreign keys on.
CREATE TABLE accepted_records_012 (
    id INTEGER PRIMARY KEY,
    asn BLOB NOT NULL,
    counter_kind INTEGER NOT NULL CHECK (counter_kind IN (0, 1)),
    atc INTEGER NOT NULL CHECK (atc BETWEEN 0 AND 65535),
    terminal_id BLOB NOT NULL,
    terminal_serial INTEGER,
    record BLOB NOT NULL CHECK (length(record) = 51),
    flags INTEGER NOT NULL CHECK (flags BETWEEN 0 AND 7),
    batch INTEGER,
    record_index INTEGER,
    load_id TEXT REFERENCES load_authorizations (request_id),
    transaction_id INTEGER NOT NULL,
    CHECK ((batch IS NULL) <> (load_id IS NULL))
) STRICT;

INSERT INTO accepted_records_012 (asn, counter_kind, atc, terminal_id, terminal_serial,
        record, flags, batch, record_index, load_id, transaction_id)
    SELECT asn, counter_kind, atc, terminal_id, terminal_serial, record, flags, batch,
        record_index, load_id, transaction_id
    FROM accepted_records
    ORDER BY transaction_id, asn, counter_kind, atc;

DROP TABLE accepted_records;
ALTER TABLE accepted_records_012 RENAME TO accepted_records;

CREATE UNIQUE INDEX accepted_records_by_key ON accepted_records (asn, counter_kind, atc);
CREATE UNIQUE INDEX accepted_purchases ON accepted_records (terminal_id, terminal_serial, asn)
    WHERE counter_kind = 0;
