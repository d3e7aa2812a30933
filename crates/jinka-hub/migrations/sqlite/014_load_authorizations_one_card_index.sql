-- Authorizing a load wrote two indexes keyed by card: (asn, online_atc), read for the
-- authorizations at one of a card's counter values, and (asn, date, amount_fen), read for
-- the day's sum against the daily limit. At a million cards each insert is a random page.
-- One index, (asn, date, amount_fen, online_atc), serves both: the day's sum seeks
-- (asn, date) as before, and the authorizations at a counter value are found among the
-- card's own entries (a card has few loads), checking online_atc in the index.
DROP INDEX load_authorizations_by_card;
DROP INDEX load_authorizations_by_card_day;
CREATE INDEX load_authorizations_by_card_day
    ON load_authorizations (asn, date, amount_fen, online_atc);
