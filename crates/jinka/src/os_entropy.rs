//! The operating system's randomness, for cards and keys in the field.

use jinka_card::Entropy;

/// Randomness from the operating system (getrandom).
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&mut self, out: &mut [u8]) {
        // Without randomness a card must not answer challenges at all.
        getrandom::fill(out).expect("the operating system provides randomness");
    }
}
