-- Clearing: each card's shadow balance and counters, uploaded batches and every decision on
-- their records, load authorizations, the ledger's accounts and its settlement windows (the
-- open one as per-line sums, closed ones as their reports). Money is INTEGER fen; records are
-- kept in their 51-byte binary form (jinka-record format version 1).

-- A card's clearing state, as the ingest decisions read and write it: the shadow balance
-- (posted loads minus accepted purchases) and, per counter, the highest ATC accepted and the
-- counter gaps below it (4 bytes a gap: first ATC, last ATC, big-endian, in order).
ALTER TABLE cards ADD COLUMN shadow_balance_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cards ADD COLUMN offline_highest_atc INTEGER
    CHECK (offline_highest_atc BETWEEN 0 AND 65535);
ALTER TABLE cards ADD COLUMN offline_gaps BLOB NOT NULL DEFAULT x'';
ALTER TABLE cards ADD COLUMN online_highest_atc INTEGER
    CHECK (online_highest_atc BETWEEN 0 AND 65535);
ALTER TABLE cards ADD COLUMN online_gaps BLOB NOT NULL DEFAULT x'';

-- Settlement windows: exactly one open (closed_at_ms NULL); a closed one keeps its report.
CREATE TABLE settlement_windows (
    id INTEGER PRIMARY KEY CHECK (id >= 1),
    opened_at_ms INTEGER NOT NULL,
    closed_at_ms INTEGER,
    transaction_count INTEGER NOT NULL DEFAULT 0 CHECK (transaction_count >= 0),
    report TEXT,
    CHECK ((closed_at_ms IS NULL) = (report IS NULL))
) STRICT;

CREATE UNIQUE INDEX settlement_windows_one_open ON settlement_windows ((closed_at_ms IS NULL))
    WHERE closed_at_ms IS NULL;

-- The ledger's last transaction id (ids increase strictly through the ledger's life).
CREATE TABLE ledger_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_transaction_id INTEGER NOT NULL CHECK (last_transaction_id >= 0)
) STRICT;

INSERT INTO ledger_state (id, last_transaction_id) VALUES (1, 0);

-- Every account's totals since the start (jinka-ledger's account kinds).
CREATE TABLE ledger_accounts (
    participant_id INTEGER NOT NULL REFERENCES participants (id),
    account TEXT NOT NULL CHECK (account IN ('card-float', 'interchange-income',
        'collected-cash', 'acquired', 'network-fee-income', 'settlement')),
    debits_fen INTEGER NOT NULL CHECK (debits_fen >= 0),
    credits_fen INTEGER NOT NULL CHECK (credits_fen >= 0),
    PRIMARY KEY (participant_id, account)
) STRICT, WITHOUT ROWID;

-- The open window's lines (participant × source × account): entry counts and totals, added
-- to by every clearing transaction. `origin` is 'batch' (acquirer_id, batch_id name it) or
-- 'online-loads' (both 0 and ''). Lines of closed windows stay, for tracing.
CREATE TABLE window_lines (
    window_id INTEGER NOT NULL REFERENCES settlement_windows (id),
    participant_id INTEGER NOT NULL REFERENCES participants (id),
    origin TEXT NOT NULL CHECK (origin IN ('batch', 'online-loads')),
    acquirer_id INTEGER NOT NULL,
    batch_id TEXT NOT NULL,
    account TEXT NOT NULL,
    entries INTEGER NOT NULL CHECK (entries >= 0),
    debits_fen INTEGER NOT NULL CHECK (debits_fen >= 0),
    credits_fen INTEGER NOT NULL CHECK (credits_fen >= 0),
    PRIMARY KEY (window_id, participant_id, origin, acquirer_id, batch_id, account)
) STRICT, WITHOUT ROWID;

-- An uploaded batch: keyed by (acquirer, its own batch id); `digest` (SM3 of its records)
-- tells a re-upload from a reused id; `decisions` holds 2 bytes a record (0 accepted or 1 +
-- the reject reason's index, then the flag bits) from which the answer is rendered, the
-- first time and for every re-upload alike.
CREATE TABLE batches (
    id INTEGER PRIMARY KEY,
    acquirer_id INTEGER NOT NULL REFERENCES participants (id),
    batch_id TEXT NOT NULL CHECK (length(batch_id) BETWEEN 1 AND 64),
    digest BLOB NOT NULL CHECK (length(digest) = 32),
    records INTEGER NOT NULL CHECK (records >= 1),
    accepted INTEGER NOT NULL CHECK (accepted >= 0),
    accepted_purchases_fen INTEGER NOT NULL CHECK (accepted_purchases_fen >= 0),
    accepted_loads_fen INTEGER NOT NULL CHECK (accepted_loads_fen >= 0),
    window_id INTEGER NOT NULL REFERENCES settlement_windows (id),
    decisions BLOB NOT NULL CHECK (length(decisions) = 2 * records),
    uploaded_at_ms INTEGER NOT NULL,
    UNIQUE (acquirer_id, batch_id)
) STRICT;

-- Accepted records, once each: the primary key is the dedupe key (ASN, counter kind, ATC);
-- a purchase is also unique by (ASN, terminal, terminal serial). Delivered by a batch
-- (batch, record_index) or by an online load confirmation (load_id). `transaction_id` is the
-- ledger transaction that cleared it (0 for a load whose counter-chain posting it replaced).
-- `batch` is not declared a foreign key: it is written in the batch's own transaction, and
-- the check would cost a lookup per record on the ingest path.
CREATE TABLE accepted_records (
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
    PRIMARY KEY (asn, counter_kind, atc),
    CHECK ((batch IS NULL) <> (load_id IS NULL))
) STRICT, WITHOUT ROWID;

-- A purchase's identity (ASN, terminal, terminal serial), ordered by terminal: a terminal's
-- SAM serials only grow, so its new purchases append to its range instead of dirtying a page
-- of every card's, and the highest serial of a terminal is one seek.
CREATE UNIQUE INDEX accepted_purchases ON accepted_records (terminal_id, terminal_serial, asn)
    WHERE counter_kind = 0;

-- Rejected records of batches, with their reason: the record's binary form, or the bytes or
-- JSON text sent when it could not be read (`detail` says why).
CREATE TABLE rejected_records (
    batch INTEGER NOT NULL REFERENCES batches (id),
    record_index INTEGER NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('malformed', 'unknown_terminal', 'not_your_terminal',
        'unknown_card', 'card_closed', 'bad_tac', 'duplicate')),
    record BLOB NOT NULL,
    detail TEXT,
    PRIMARY KEY (batch, record_index)
) STRICT, WITHOUT ROWID;

-- Online load authorizations, by the client's request id (also the load id of the API).
CREATE TABLE load_authorizations (
    request_id TEXT PRIMARY KEY CHECK (length(request_id) BETWEEN 1 AND 64),
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
    state_changed_at_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX load_authorizations_by_card ON load_authorizations (asn, online_atc);
CREATE INDEX load_authorizations_pending ON load_authorizations (created_at_ms)
    WHERE state = 'pending';

-- Every change of a load's state, and what made it.
CREATE TABLE load_transitions (
    id INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES load_authorizations (request_id),
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    cause TEXT NOT NULL CHECK (cause IN ('batch', 'confirmation', 'resolver')),
    batch INTEGER REFERENCES batches (id),
    ledger_note TEXT,
    at_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX load_transitions_by_load ON load_transitions (request_id);

-- Every online confirmation (the TAC a terminal sent for a load) and its decision.
CREATE TABLE load_confirmations (
    id INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES load_authorizations (request_id),
    tac BLOB NOT NULL CHECK (length(tac) = 4),
    decision TEXT NOT NULL CHECK (decision IN ('accepted', 'rejected')),
    reason TEXT,
    at_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX load_confirmations_by_load ON load_confirmations (request_id);
