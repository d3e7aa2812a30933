//! Black-box tests of the hub over HTTP: each test starts its own hub on 127.0.0.1:0 over a
//! fresh temporary data directory.

mod client;
mod keys;
mod log_capture;
mod refusals;
mod registry;
mod server;
mod test_hub;
