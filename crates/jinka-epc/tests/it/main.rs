//! The public API of `jinka-epc`, black-box: the shared vectors, round trips over every
//! partition, and decoders fed arbitrary input.

mod robustness;
mod round_trip;
mod strategy;
mod vectors;
