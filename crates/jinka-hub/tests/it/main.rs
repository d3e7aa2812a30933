//! Black-box tests of the hub over HTTP: each test starts its own hub on 127.0.0.1:0 over a
//! fresh temporary data directory.

mod client;
mod ingest;
mod keys;
mod loads;
mod log_capture;
mod network;
mod refusals;
mod registry;
mod server;
mod settlement;
mod test_hub;
