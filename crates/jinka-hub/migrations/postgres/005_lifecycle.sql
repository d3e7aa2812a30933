-- The card's life (`hub.md` § Card lifecycle): operations on issued cards (lost, replace,
-- close; an application added or removed after issuance) and each card's management counter.
-- The same tables as SQLite's `005_lifecycle.sql` (see there for the columns).

CREATE TABLE card_operations (
    id bigserial PRIMARY KEY,
    kind text NOT NULL CHECK (
        kind IN ('lost', 'replace', 'close', 'add_application', 'remove_application')
    ),
    asn bytea NOT NULL REFERENCES cards (asn),
    new_asn bytea REFERENCES cards (asn),
    issuer_id bigint NOT NULL REFERENCES participants (id),
    requester_id bigint NOT NULL REFERENCES participants (id),
    state text NOT NULL CHECK (
        state IN ('awaiting_consent', 'pending', 'completed', 'failed')
    ),
    aid bytea CHECK (aid IS NULL OR length(aid) BETWEEN 5 AND 16),
    script text,
    created_at_ms bigint NOT NULL,
    due_at_ms bigint,
    completed_at_ms bigint,
    amount_fen bigint,
    CHECK ((kind = 'replace') = (new_asn IS NOT NULL))
);

CREATE INDEX card_operations_by_card ON card_operations (asn, state);
CREATE INDEX card_operations_by_new_card ON card_operations (new_asn, state);
CREATE INDEX card_operations_by_issuer ON card_operations (issuer_id, id);
CREATE INDEX card_operations_by_requester ON card_operations (requester_id, id);
CREATE INDEX card_operations_due ON card_operations (due_at_ms) WHERE state = 'pending';

CREATE TABLE card_management_counters (
    asn bytea PRIMARY KEY REFERENCES cards (asn),
    counter bigint NOT NULL CHECK (counter BETWEEN 0 AND 4294967295)
);
