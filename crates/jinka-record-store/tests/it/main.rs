//! Black-box tests of the record store on the real file system: durability across reopen,
//! torn tails at every byte, corruption, batches and acknowledgements, and a property test
//! over random interleavings of every operation.

mod batches;
mod corruption;
mod durability;
mod interleavings;
mod support;
mod tearing;
