//! The simulation end to end: determinism, faults for several seeds, a failing audit.

mod runs;
mod support;
