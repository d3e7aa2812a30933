-- Load authorization sums the card's loads of the day (the daily limit) on every request:
-- an index on (asn, date) covering the state and amount answers from the index alone, not
-- from every load the card ever had.
CREATE INDEX load_authorizations_by_card_date
    ON load_authorizations (asn, date, state, amount_fen);

-- Registering a card checks that no other participant has cards of its issuer id: with the
-- owner in the index the check reads two index ranges (owner below, owner above), not every
-- card of the issuer id (registration was quadratic in the number of cards).
CREATE INDEX cards_by_issuer_id_owner ON cards (issuer_id, issuer_participant_id);
DROP INDEX cards_by_issuer_id;
