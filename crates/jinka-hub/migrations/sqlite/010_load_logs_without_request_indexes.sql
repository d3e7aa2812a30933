-- The logs of a load's transitions and confirmations were indexed by request id. Nothing
-- reads them by request id: the hub appends to them and never deletes or rekeys a load (the
-- only cases where a foreign key needs its children's index). Request ids are the
-- terminals' own (terminal id and a count), so each confirmed load wrote one random page of
-- each index: two of the five b-trees a confirmation wrote at random, at a million cards.
-- The logs keep their request ids and their order of arrival.
DROP INDEX load_transitions_by_load;
DROP INDEX load_confirmations_by_load;
