-- Loads were stored in the order of their request ids. Request ids are the terminals' own
-- (terminal id and a count), and a group of loads comes from as many machines, so each
-- authorization wrote a random page of the table, and each confirmation (which changes the
-- load's state) another, at a million cards. The table now keeps its rows in the hub's own
-- order of authorization (a rowid), which a group fills and confirms page by page; the
-- request id keeps its uniqueness, and the foreign keys that name it, through a unique index
-- that a confirmation only reads. The indexes by card hold a rowid instead of a request id.
-- (SQLite cannot change a table's key in place: the table is rebuilt, with foreign keys off
-- and checked before the commit; see migrations.rs.)
CREATE TABLE load_authorizations_011 (
    id INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL UNIQUE CHECK (length(request_id) BETWEEN 1 AND 64),
    requester_id INTEGER NOT NULL REFERENCES participants (id),
    asn BLOB NOT NULL CHECK (length(asn) = 8),
    issuer_id BLOB NOT NULL CHECK (length(issuer_id) = 8),
    key_version INTEGER NOT NULL CHECK (key_version BETWEEN 0 AND 255),
    algorithm_id INTEGER NOT NULL CHECK (algorithm_id BETWEEN 0 AND 255),
    balance_before_fen INTEGER NOT NULL CHECK (balance_before_fen BETWEEN 0 AND 4294967295),
    online_atc INTEGER NOT NULL CHECK (online_atc BETWEEN 0 AND 65535),
    card_random BLOB NOT NULL CHECK (length(card_random) = 4),
    mac1 BLOB NOT NULL CHECK (length(mac1) = 4),
    amount_fen INTEGER NOT NULL CHECK (amount_fen BETWEEN 0 AND 4294967295),
    terminal_id BLOB NOT NULL CHECK (length(terminal_id) = 6),
    date TEXT NOT NULL CHECK (length(date) = 8),
    time TEXT NOT NULL CHECK (length(time) = 6),
    mac2 BLOB NOT NULL CHECK (length(mac2) = 4),
    state TEXT NOT NULL CHECK (
        state IN ('pending', 'posted-tac', 'posted-counter-chain', 'voided')
    ),
    created_at_ms INTEGER NOT NULL,
    state_changed_at_ms INTEGER NOT NULL,
    funded_by_operation INTEGER REFERENCES card_operations (id)
) STRICT;

INSERT INTO load_authorizations_011 (request_id, requester_id, asn, issuer_id, key_version,
        algorithm_id, balance_before_fen, online_atc, card_random, mac1, amount_fen,
        terminal_id, date, time, mac2, state, created_at_ms, state_changed_at_ms,
        funded_by_operation)
    SELECT request_id, requester_id, asn, issuer_id, key_version, algorithm_id,
        balance_before_fen, online_atc, card_random, mac1, amount_fen, terminal_id, date, time,
        mac2, state, created_at_ms, state_changed_at_ms, funded_by_operation
    FROM load_authorizations
    ORDER BY created_at_ms, request_id;

DROP TABLE load_authorizations;
ALTER TABLE load_authorizations_011 RENAME TO load_authorizations;

CREATE INDEX load_authorizations_by_card ON load_authorizations (asn, online_atc);
CREATE INDEX load_authorizations_pending ON load_authorizations (created_at_ms)
    WHERE state = 'pending';
CREATE UNIQUE INDEX load_authorizations_one_credit ON load_authorizations (funded_by_operation)
    WHERE funded_by_operation IS NOT NULL AND state <> 'voided';
CREATE INDEX load_authorizations_by_card_day ON load_authorizations (asn, date, amount_fen);
CREATE INDEX load_authorizations_voided_by_card_day ON load_authorizations (asn, date, amount_fen)
    WHERE state = 'voided';
CREATE INDEX load_authorizations_credits ON load_authorizations (asn, online_atc)
    WHERE funded_by_operation IS NOT NULL;
