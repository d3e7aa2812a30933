//! The per-credential rate limit: one [`TokenBucket`] per authenticated credential, in this
//! process's memory (each hub node limits on its own).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::clock::EpochMs;
use crate::config::Limits;
use crate::credential::CredentialId;
use crate::token_bucket::{BucketLimits, TokenBucket};

/// Most buckets kept; past it they are all dropped (every credential starts full again), so
/// the map cannot grow without bound.
pub(crate) const RATE_LIMITED_CREDENTIALS_MAX: usize = 100_000;

/// The buckets.
pub(crate) struct RateLimiter {
    limits: BucketLimits,
    buckets: Mutex<HashMap<CredentialId, TokenBucket>>,
}

impl RateLimiter {
    pub(crate) fn new(limits: Limits) -> RateLimiter {
        RateLimiter {
            limits: BucketLimits {
                burst_requests: limits.rate_burst_requests,
                requests_per_second: limits.rate_requests_per_second,
            },
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token of `credential`'s bucket: `Err` with the milliseconds to wait.
    pub(crate) fn take(&self, credential: CredentialId, now: EpochMs) -> Result<(), u64> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= RATE_LIMITED_CREDENTIALS_MAX && !buckets.contains_key(&credential) {
            buckets.clear();
        }
        buckets
            .entry(credential)
            .or_insert_with(|| TokenBucket::full(self.limits, now))
            .take(self.limits, now)
    }
}
