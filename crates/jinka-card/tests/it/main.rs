//! Black-box tests of the card through its APDU interface.

mod applications;
mod image;
mod purse;
mod robustness;
mod support;
mod tearing;
mod vectors;
