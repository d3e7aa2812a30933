//! Black-box tests of the SAM in both its forms: the shared vectors, serials across crashes,
//! the sealed file, typed refusals, the PSAM's APDUs, and purchases against real issued cards.

mod card_flows;
mod errors;
mod files;
mod psam;
mod serials;
mod support;
mod vectors;
