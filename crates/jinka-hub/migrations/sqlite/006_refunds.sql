-- Refunds of closed cards (`hub.md` § Card lifecycle): completing a card's closing posts its
-- remaining balance from the issuer's card float to the issuer's `refunds-payable` account,
-- in a window line of origin 'card-closings' (acquirer_id 0, batch_id ''). SQLite cannot
-- alter a CHECK, so `ledger_accounts` and `window_lines` are rebuilt with the new names,
-- their rows copied (this file runs in one transaction, like every migration). No table
-- refers to either, so dropping the old ones checks no foreign key.

CREATE TABLE ledger_accounts_006 (
    participant_id INTEGER NOT NULL REFERENCES participants (id),
    account TEXT NOT NULL CHECK (account IN ('card-float', 'interchange-income',
        'collected-cash', 'acquired', 'network-fee-income', 'settlement', 'refunds-payable')),
    debits_fen INTEGER NOT NULL CHECK (debits_fen >= 0),
    credits_fen INTEGER NOT NULL CHECK (credits_fen >= 0),
    PRIMARY KEY (participant_id, account)
) STRICT, WITHOUT ROWID;

INSERT INTO ledger_accounts_006 (participant_id, account, debits_fen, credits_fen)
    SELECT participant_id, account, debits_fen, credits_fen FROM ledger_accounts;
DROP TABLE ledger_accounts;
ALTER TABLE ledger_accounts_006 RENAME TO ledger_accounts;

CREATE TABLE window_lines_006 (
    window_id INTEGER NOT NULL REFERENCES settlement_windows (id),
    participant_id INTEGER NOT NULL REFERENCES participants (id),
    origin TEXT NOT NULL CHECK (origin IN ('batch', 'online-loads', 'card-closings')),
    acquirer_id INTEGER NOT NULL,
    batch_id TEXT NOT NULL,
    account TEXT NOT NULL,
    entries INTEGER NOT NULL CHECK (entries >= 0),
    debits_fen INTEGER NOT NULL CHECK (debits_fen >= 0),
    credits_fen INTEGER NOT NULL CHECK (credits_fen >= 0),
    PRIMARY KEY (window_id, participant_id, origin, acquirer_id, batch_id, account)
) STRICT, WITHOUT ROWID;

INSERT INTO window_lines_006 (window_id, participant_id, origin, acquirer_id, batch_id,
        account, entries, debits_fen, credits_fen)
    SELECT window_id, participant_id, origin, acquirer_id, batch_id, account, entries,
        debits_fen, credits_fen FROM window_lines;
DROP TABLE window_lines;
ALTER TABLE window_lines_006 RENAME TO window_lines;
