-- Refunds of closed cards (`hub.md` § Card lifecycle): completing a card's closing posts its
-- remaining balance from the issuer's card float to the issuer's `refunds-payable` account,
-- in a window line of origin 'card-closings' (acquirer_id 0, batch_id ''). The same change as
-- SQLite's `006_refunds.sql`; PostgreSQL alters the CHECKs in place.

ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_account_check;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_account_check
    CHECK (account IN ('card-float', 'interchange-income', 'collected-cash', 'acquired',
        'network-fee-income', 'settlement', 'refunds-payable'));

ALTER TABLE window_lines DROP CONSTRAINT window_lines_origin_check;
ALTER TABLE window_lines ADD CONSTRAINT window_lines_origin_check
    CHECK (origin IN ('batch', 'online-loads', 'card-closings'));
