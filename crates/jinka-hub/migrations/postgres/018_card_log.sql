-- The SQLite engine's migration 018 appends the cards' clearing columns to a log instead of
-- updating each card's row in place (an update dirtied a random page of a B-tree for each
-- card of every transaction). PostgreSQL's update writes a new row version into the heap
-- where there is room and its WAL records the change, not the page: there is nothing to
-- change here. The file keeps both engines' migrations in step.
SELECT 1;
