//! Black-box tests of the risk core: each rule fires on the pattern it exists for and stays
//! quiet on normal traffic, per-issuer overrides, decisions not repeated, state bounded and
//! restored; the blacklist's versions, deltas, full lists, compaction, wire forms, and a
//! terminal applying them.

mod bad_tac;
mod blacklist;
mod config;
mod counter_gap;
mod daily_spend;
mod discontinuity;
mod properties;
mod state;
mod support;
mod velocity;
