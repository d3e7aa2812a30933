-- The card's life (`hub.md` § Card lifecycle): operations on issued cards (lost, replace,
-- close; an application added or removed after issuance) and each card's management counter.

-- `kind` says what the operation does; `state` where it stands: 'awaiting_consent' (an
-- application provider's request the issuer has not consented to), 'pending' (a replacement
-- or closing in its freeze period; a consented script not yet reported), 'completed',
-- 'failed' (the card refused the script). `requester_id` is who asked (the issuer, or the
-- application provider); `amount_fen` the balance moved or refunded; `script` the APDUs (hex,
-- one a line) of an application operation: their keys travel encrypted under the card's
-- management key, never in clear.
CREATE TABLE card_operations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (
        kind IN ('lost', 'replace', 'close', 'add_application', 'remove_application')
    ),
    asn BLOB NOT NULL REFERENCES cards (asn),
    new_asn BLOB REFERENCES cards (asn),
    issuer_id INTEGER NOT NULL REFERENCES participants (id),
    requester_id INTEGER NOT NULL REFERENCES participants (id),
    state TEXT NOT NULL CHECK (
        state IN ('awaiting_consent', 'pending', 'completed', 'failed')
    ),
    aid BLOB CHECK (aid IS NULL OR length(aid) BETWEEN 5 AND 16),
    script TEXT,
    created_at_ms INTEGER NOT NULL,
    due_at_ms INTEGER,
    completed_at_ms INTEGER,
    amount_fen INTEGER,
    CHECK ((kind = 'replace') = (new_asn IS NOT NULL))
) STRICT;

CREATE INDEX card_operations_by_card ON card_operations (asn, state);
CREATE INDEX card_operations_by_new_card ON card_operations (new_asn, state);
CREATE INDEX card_operations_by_issuer ON card_operations (issuer_id, id);
CREATE INDEX card_operations_by_requester ON card_operations (requester_id, id);
CREATE INDEX card_operations_due ON card_operations (due_at_ms) WHERE state = 'pending';

-- The last management counter the hub used for a card (the card accepts a management command
-- only above every counter it accepted before).
CREATE TABLE card_management_counters (
    asn BLOB PRIMARY KEY REFERENCES cards (asn),
    counter INTEGER NOT NULL CHECK (counter BETWEEN 0 AND 4294967295)
) STRICT, WITHOUT ROWID;
