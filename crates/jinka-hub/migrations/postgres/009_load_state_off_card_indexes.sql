-- Confirming a load changes its state. With the state in the index of the card's loads of a
-- day, every confirmation moved the card's entry in that index: one more page of a
-- card-ordered b-tree written per load (random pages, at a million cards). The daily sum
-- now reads the card's loads of the day from an index without the state and subtracts the
-- voided ones, which a partial index holds (a load is voided rarely).
CREATE INDEX load_authorizations_by_card_day ON load_authorizations (asn, date, amount_fen);
CREATE INDEX load_authorizations_voided_by_card_day ON load_authorizations (asn, date, amount_fen)
    WHERE state = 'voided';
DROP INDEX load_authorizations_by_card_date;

-- Clearing asks of every accepted load record whether a card replacement funded it (a
-- replacement credit posts nothing): a partial index holds those loads only, so the answer
-- for an ordinary load comes from a small b-tree, not the card's entries and their rows.
CREATE INDEX load_authorizations_credits ON load_authorizations (asn, online_atc)
    WHERE funded_by_operation IS NOT NULL;
