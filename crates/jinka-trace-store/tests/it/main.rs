//! The trace store black-box, on every engine: SQLite always, PostgreSQL when
//! `JINKA_TEST_POSTGRES` names an admin URL (each test creates a fresh database and drops
//! it). Capture, the three answers through aggregation and disaggregation, corrections,
//! queries against the pure reference, visibility, durability, and a property test holding
//! the stored projections to `jinka-trace`'s.

mod answers;
mod capture;
mod engines;
mod queries;
mod reference;
mod support;
mod visibility;
