//! Where the hub draws randomness from (API keys, KEKs, sealing nonces): a small trait so a
//! test or simulation can replace the operating system.

use crate::error::HubError;

/// A source of random bytes.
pub(crate) trait Entropy: Send + Sync {
    /// Fills `out` with random bytes.
    fn fill(&self, out: &mut [u8]) -> Result<(), HubError>;
}

/// The operating system's randomness (getrandom).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&self, out: &mut [u8]) -> Result<(), HubError> {
        getrandom::fill(out).map_err(|error| HubError::Unavailable {
            reason: format!("the operating system gave no randomness: {error}"),
        })
    }
}
