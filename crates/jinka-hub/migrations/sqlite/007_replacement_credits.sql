-- Replacement credits (`hub.md` § Card lifecycle): a completed replacement's moved balance is
-- put on the new card's chip by an online load that collects no cash, funded by the
-- replacement. `funded_by_operation` names that replacement (NULL for a cash load); at most
-- one load of an operation is not voided, so the balance is credited once.
ALTER TABLE load_authorizations ADD COLUMN funded_by_operation INTEGER
    REFERENCES card_operations (id);

CREATE UNIQUE INDEX load_authorizations_one_credit ON load_authorizations (funded_by_operation)
    WHERE funded_by_operation IS NOT NULL AND state <> 'voided';
