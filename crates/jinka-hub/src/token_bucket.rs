//! A token bucket: the per-credential rate limit's arithmetic, pure (time comes in).
//!
//! Tokens are counted in thousandths so that a refill rate in requests per second adds a whole
//! number of them every millisecond.

use crate::clock::EpochMs;

const MILLI: u64 = 1_000;

/// How many requests a bucket holds and how fast it refills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BucketLimits {
    pub(crate) burst_requests: u32,
    pub(crate) requests_per_second: u32,
}

/// One credential's bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TokenBucket {
    milli_tokens: u64,
    updated: EpochMs,
}

impl TokenBucket {
    /// A full bucket at `now`.
    pub(crate) fn full(limits: BucketLimits, now: EpochMs) -> TokenBucket {
        TokenBucket {
            milli_tokens: u64::from(limits.burst_requests) * MILLI,
            updated: now,
        }
    }

    /// Takes one request's token at `now`: `Err` with the milliseconds until one is there
    /// when the bucket is empty. A clock that went back refills nothing.
    pub(crate) fn take(&mut self, limits: BucketLimits, now: EpochMs) -> Result<(), u64> {
        let elapsed_ms = u64::try_from(now.get().saturating_sub(self.updated.get())).unwrap_or(0);
        let capacity = u64::from(limits.burst_requests) * MILLI;
        let refill = elapsed_ms.saturating_mul(u64::from(limits.requests_per_second));
        self.milli_tokens = self.milli_tokens.saturating_add(refill).min(capacity);
        self.updated = self.updated.max(now);
        if self.milli_tokens >= MILLI {
            self.milli_tokens -= MILLI;
            return Ok(());
        }
        let missing = MILLI - self.milli_tokens;
        match u64::from(limits.requests_per_second) {
            0 => Err(u64::MAX),
            rate => Err(missing.div_ceil(rate)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: BucketLimits = BucketLimits {
        burst_requests: 3,
        requests_per_second: 2,
    };

    #[test]
    fn a_burst_then_a_refill() {
        let start = EpochMs::new(10_000);
        let mut bucket = TokenBucket::full(LIMITS, start);
        for _ in 0..3 {
            assert_eq!(bucket.take(LIMITS, start), Ok(()));
        }
        assert_eq!(bucket.take(LIMITS, start), Err(500));
        assert_eq!(bucket.take(LIMITS, EpochMs::new(10_499)), Err(1));
        assert_eq!(bucket.take(LIMITS, EpochMs::new(10_500)), Ok(()));
        // Long idle refills to the burst, not beyond.
        let later = EpochMs::new(1_000_000);
        for _ in 0..3 {
            assert_eq!(bucket.take(LIMITS, later), Ok(()));
        }
        assert!(bucket.take(LIMITS, later).is_err());
    }

    #[test]
    fn time_going_back_refills_nothing() {
        let mut bucket = TokenBucket::full(LIMITS, EpochMs::new(5_000));
        for _ in 0..3 {
            bucket.take(LIMITS, EpochMs::new(5_000)).unwrap();
        }
        assert!(bucket.take(LIMITS, EpochMs::new(0)).is_err());
        assert!(bucket.take(LIMITS, EpochMs::new(5_000)).is_err());
    }
}
