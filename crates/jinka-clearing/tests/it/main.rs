//! Black-box tests of the hub's decision core: the shared vectors through the key store,
//! batch decisions (reasons, flags, gaps, the balance chain), load authorization and
//! resolution, and properties over arbitrary arrivals of a card's true chain.

mod chain;
mod gaps;
mod ingest;
mod load;
mod properties;
mod support;
mod vectors;
