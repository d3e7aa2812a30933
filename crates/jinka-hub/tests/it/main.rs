//! Black-box tests of the hub over HTTP: each test starts its own hub on 127.0.0.1:0 over a
//! fresh temporary data directory, on SQLite, or on a fresh PostgreSQL database when
//! `JINKA_TEST_POSTGRES` names an administrative one (`engine`).

mod batch_admin;
mod blacklist;
mod client;
mod engine;
mod engines;
mod ingest;
mod keys;
mod lifecycle;
mod loads;
mod log_capture;
mod network;
mod refusals;
mod registry;
mod risk;
mod server;
mod settlement;
mod test_hub;
mod trace;
