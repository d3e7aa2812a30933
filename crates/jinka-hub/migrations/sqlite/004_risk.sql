-- Risk control (`hub.md` § Risk control, § Blacklist): the rules' decisions, the versioned
-- blacklist's change log, suspended terminals, and the rules' configuration and state.

-- A terminal a risk rule suspended: its load requests are refused (`terminal_suspended`);
-- its offline records are still cleared (the purchases happened).
ALTER TABLE terminals ADD COLUMN suspended_at_ms INTEGER;

-- Every decision of a risk rule, stored in the transaction of the batch that made it fire.
-- `subject_id` is the card's ASN8 or the terminal's id; `participant_id` the card's issuer or
-- the terminal's owner (who may see it). `evidence` is a JSON array of record ids: a batch
-- record is (batch row id << 20) | record index.
CREATE TABLE risk_decisions (
    id INTEGER PRIMARY KEY,
    rule TEXT NOT NULL CHECK (rule IN ('daily_spend', 'velocity', 'bad_tac',
        'balance_discontinuity', 'counter_gap')),
    action TEXT NOT NULL CHECK (action IN ('flag', 'hotlist_card', 'suspend_terminal')),
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('card', 'terminal')),
    subject_id BLOB NOT NULL CHECK (length(subject_id) IN (6, 8)),
    participant_id INTEGER REFERENCES participants (id),
    evidence TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    explanation TEXT NOT NULL
) STRICT;

CREATE INDEX risk_decisions_by_participant ON risk_decisions (participant_id, id);

-- The blacklist's change log: every listing and removal is the next version.
CREATE TABLE blacklist_changes (
    version INTEGER PRIMARY KEY CHECK (version >= 1),
    asn BLOB NOT NULL CHECK (length(asn) = 8),
    kind TEXT NOT NULL CHECK (kind IN ('listed', 'unlisted')),
    reason TEXT CHECK (reason IN ('lost', 'risk_rule', 'issuer_request', 'replaced', 'closed')),
    at_ms INTEGER NOT NULL,
    CHECK ((kind = 'listed') = (reason IS NOT NULL))
) STRICT;

-- The rules' configuration (JSON, `jinka_risk::RiskSettings`) and the evaluator's state
-- (JSON, `jinka_risk::RiskState`) as last saved: one row each.
CREATE TABLE risk_settings (
    name TEXT PRIMARY KEY CHECK (name IN ('config', 'state')),
    value TEXT NOT NULL,
    saved_at_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
