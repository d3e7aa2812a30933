//! Points in time, as the caller gives them: the ledger reads no clock.

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch (1970-01-01T00:00:00Z), from the caller's clock (the
/// hub's, or the simulation's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(u64);

impl Timestamp {
    /// `unix_ms` milliseconds after the epoch.
    pub const fn from_unix_ms(unix_ms: u64) -> Timestamp {
        Timestamp(unix_ms)
    }

    /// Milliseconds after the epoch.
    pub const fn unix_ms(self) -> u64 {
        self.0
    }
}
