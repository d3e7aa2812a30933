//! Time as the hub's core sees it: epoch milliseconds handed in by a [`Clock`], never read from
//! the system inside a decision, so a simulation can replay any run.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Milliseconds since 1970-01-01T00:00:00Z (UTC), as stored in every `*_at_ms` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EpochMs(i64);

impl EpochMs {
    /// Wraps a count of milliseconds.
    pub const fn new(ms: i64) -> EpochMs {
        EpochMs(ms)
    }

    /// The count of milliseconds.
    pub const fn get(self) -> i64 {
        self.0
    }
}

/// Where the hub gets the time from.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> EpochMs;
}

/// The operating system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> EpochMs {
        // A clock set before 1970 reads as 1970; one past year 292 million saturates.
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis());
        EpochMs(i64::try_from(ms).unwrap_or(i64::MAX))
    }
}

/// A clock that reads what the test set: time stands still unless moved.
#[derive(Debug, Default)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    /// A clock showing `now`.
    pub const fn new(now: EpochMs) -> FixedClock {
        FixedClock(AtomicI64::new(now.0))
    }

    /// Moves the clock forward by `ms` (saturating).
    pub fn advance(&self, ms: i64) {
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(now.saturating_add(ms))
            });
    }
}

impl Clock for FixedClock {
    fn now(&self) -> EpochMs {
        EpochMs(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_stands_still_until_moved() {
        let clock = FixedClock::new(EpochMs::new(1_000));
        assert_eq!(clock.now(), EpochMs::new(1_000));
        clock.advance(250);
        assert_eq!(clock.now().get(), 1_250);
        clock.advance(i64::MAX);
        assert_eq!(clock.now().get(), i64::MAX);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now().get() > 1_577_836_800_000);
    }
}
