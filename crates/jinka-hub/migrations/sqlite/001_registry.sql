-- The registry: participants, their credentials, terminals, cards, issuer key sets (sealed)
-- and the KEK check value. Money is INTEGER fen; times are INTEGER epoch milliseconds given
-- by the hub's clock; binary identifiers are BLOBs of their exact length.

CREATE TABLE participants (
    id INTEGER PRIMARY KEY AUTOINCREMENT CHECK (id BETWEEN 1 AND 4294967295),
    name TEXT NOT NULL UNIQUE,
    region INTEGER NOT NULL CHECK (region BETWEEN 0 AND 4294967295),
    interchange_basis_points INTEGER NOT NULL CHECK (interchange_basis_points BETWEEN 0 AND 10000),
    interchange_fixed_fen INTEGER NOT NULL CHECK (interchange_fixed_fen >= 0),
    network_basis_points INTEGER NOT NULL CHECK (network_basis_points BETWEEN 0 AND 10000),
    network_fixed_fen INTEGER NOT NULL CHECK (network_fixed_fen >= 0),
    net_debit_cap_fen INTEGER CHECK (net_debit_cap_fen >= 0),
    settlement_account TEXT,
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE participant_roles (
    participant_id INTEGER NOT NULL REFERENCES participants (id),
    role TEXT NOT NULL CHECK (
        role IN ('issuer', 'acquirer', 'application_provider', 'load_agent', 'operator')
    ),
    PRIMARY KEY (participant_id, role)
) STRICT, WITHOUT ROWID;

CREATE TABLE credentials (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    participant_id INTEGER NOT NULL REFERENCES participants (id),
    key_id TEXT NOT NULL UNIQUE CHECK (length(key_id) = 16),
    key_hash BLOB NOT NULL CHECK (length(key_hash) = 32),
    label TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
) STRICT;

CREATE INDEX credentials_by_participant ON credentials (participant_id);

CREATE TABLE terminals (
    terminal_id BLOB PRIMARY KEY CHECK (length(terminal_id) = 6),
    owner_id INTEGER NOT NULL REFERENCES participants (id),
    region INTEGER NOT NULL CHECK (region BETWEEN 0 AND 4294967295),
    created_at_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX terminals_by_owner ON terminals (owner_id, terminal_id);

CREATE TABLE cards (
    asn BLOB PRIMARY KEY CHECK (length(asn) = 8),
    issuer_participant_id INTEGER NOT NULL REFERENCES participants (id),
    issuer_id BLOB NOT NULL CHECK (length(issuer_id) = 8),
    profile TEXT NOT NULL CHECK (profile IN ('des3', 'sm4')),
    status TEXT NOT NULL CHECK (
        status IN ('active', 'hotlisted', 'blocked', 'replaced', 'closed')
    ),
    created_at_ms INTEGER NOT NULL,
    status_changed_at_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX cards_by_issuer ON cards (issuer_participant_id, asn);
CREATE INDEX cards_by_issuer_id ON cards (issuer_id);

CREATE TABLE card_applications (
    asn BLOB NOT NULL REFERENCES cards (asn),
    aid BLOB NOT NULL CHECK (length(aid) BETWEEN 5 AND 16),
    PRIMARY KEY (asn, aid)
) STRICT, WITHOUT ROWID;

-- Load and TAC master keys, sealed under the KEK (format jinka-hub-issuer-keys-sealed); the
-- sealed plaintext repeats issuer_id, key_version and profile so a moved value does not open.
CREATE TABLE issuer_key_sets (
    issuer_id BLOB NOT NULL CHECK (length(issuer_id) = 8),
    key_version INTEGER NOT NULL CHECK (key_version BETWEEN 0 AND 255),
    profile TEXT NOT NULL CHECK (profile IN ('des3', 'sm4')),
    participant_id INTEGER NOT NULL REFERENCES participants (id),
    sealed TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (issuer_id, key_version, profile)
) STRICT, WITHOUT ROWID;

CREATE INDEX issuer_key_sets_by_participant ON issuer_key_sets (participant_id);

-- One row: a fixed text sealed under the KEK (format jinka-hub-kek-check), which tells a
-- wrong KEK at start-up.
CREATE TABLE kek_check (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sealed TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;
