//! Black-box tests of the record: TAC verification against every shared vector, and the two
//! encodings (round trips, golden forms, no panic on any input).

mod binary;
mod json;
mod strategy;
mod vectors;
