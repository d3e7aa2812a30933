-- The cards' clearing columns (shadow balance, both counters) change with nearly every load and
-- upload. Updating a card's row in place dirtied a random page of `cards` for each card of
-- every transaction: at a million cards about a third of the bytes a day wrote. Each
-- transaction now appends the cards' new clearing columns to `card_log`, one row per card
-- (rows in arrival order, so a transaction's rows share a few pages), and a card's newest
-- clearing columns are those of its log row with the highest `seq`, or its row in `cards` if
-- the log has none. A fold copies each logged card's newest columns into `cards` (in ASN order:
-- one pass over its pages), empties the log and adds one to `card_log_folds.generation`; the
-- hub folds when the log passes a number of rows, and every connection that keeps the log in
-- memory reads it again when the generation moved. Anything that reads `cards`' clearing
-- columns in SQL must fold first (`jinka_hub::fold_card_log`).
CREATE TABLE card_log (
    seq INTEGER PRIMARY KEY,
    asn BLOB NOT NULL CHECK (length(asn) = 8),
    shadow_balance_fen INTEGER NOT NULL,
    offline_highest_atc INTEGER CHECK (offline_highest_atc BETWEEN 0 AND 65535),
    offline_gaps BLOB NOT NULL CHECK (length(offline_gaps) % 4 = 0),
    offline_point BLOB CHECK (offline_point IS NULL OR length(offline_point) = 8),
    offline_edges BLOB NOT NULL CHECK (length(offline_edges) % 10 = 0),
    online_highest_atc INTEGER CHECK (online_highest_atc BETWEEN 0 AND 65535),
    online_gaps BLOB NOT NULL CHECK (length(online_gaps) % 4 = 0),
    online_point BLOB CHECK (online_point IS NULL OR length(online_point) = 8),
    online_edges BLOB NOT NULL CHECK (length(online_edges) % 10 = 0)
) STRICT;

CREATE TABLE card_log_folds (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
) STRICT;

INSERT INTO card_log_folds (id, generation) VALUES (1, 0);
