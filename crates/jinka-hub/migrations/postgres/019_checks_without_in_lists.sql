-- The SQLite engine's migration 019 rewrites CHECK constraints of the form `column IN (a, b,
-- c, ...)` as comparisons joined by OR: SQLite built a temporary B-tree of the constants for
-- each row it checked. PostgreSQL checks such a list in place: there is nothing to change here.
-- The file keeps both engines' migrations in step.
SELECT 1;
