-- Replacement credits (`hub.md` § Card lifecycle): the same column as SQLite's
-- `007_replacement_credits.sql` (see there).
ALTER TABLE load_authorizations ADD COLUMN funded_by_operation bigint
    REFERENCES card_operations (id);

CREATE UNIQUE INDEX load_authorizations_one_credit ON load_authorizations (funded_by_operation)
    WHERE funded_by_operation IS NOT NULL AND state <> 'voided';
