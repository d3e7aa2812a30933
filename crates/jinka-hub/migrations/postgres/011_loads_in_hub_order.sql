-- The SQLite engine's migration 011 rebuilds load_authorizations so its rows lie in the
-- order the hub authorized them, not in the order of the terminals' request ids. PostgreSQL
-- already stores a table's rows in a heap in arrival order, its primary key a separate
-- index: there is nothing to change here. The file keeps both engines' migrations in step.
SELECT 1;
