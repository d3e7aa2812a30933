//! Black-box tests of clearing and settlement: exact scenarios (fees, a load, a window of
//! three participants with its JSON and CSV), refusals, serde forms, and property tests of the
//! money invariants of `hub.md`.

mod clearing;
mod fixtures;
mod invariants;
mod serde_forms;
mod settlement;
