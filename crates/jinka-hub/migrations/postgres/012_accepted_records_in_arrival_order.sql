-- The SQLite engine's migration 012 rebuilds accepted_records so its rows lie in the order
-- they arrive, the dedupe key a separate unique index. PostgreSQL already stores a table's
-- rows in a heap in arrival order, its primary key a separate index: there is nothing to
-- change here. The file keeps both engines' migrations in step.
SELECT 1;
