-- As the SQLite engine's migration 014: one index keyed by card, (asn, date, amount_fen,
-- online_atc), serves both the day's sum against the daily limit and the authorizations at
-- one of a card's counter values, so authorizing a load writes one random page of an index
-- keyed by card instead of two.
DROP INDEX load_authorizations_by_card;
DROP INDEX load_authorizations_by_card_day;
CREATE INDEX load_authorizations_by_card_day
    ON load_authorizations (asn, date, amount_fen, online_atc);
