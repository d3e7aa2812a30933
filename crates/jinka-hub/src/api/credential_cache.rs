//! [`CredentialCache`]: the credentials recently read, so authenticating a request does not
//! wait for the database behind the writes (a load authorization's group commit holds the
//! embedded engine for its fsync).
//!
//! Only credentials found are kept, for [`CREDENTIAL_CACHE_TTL_MS`] by the hub's clock: a
//! new credential works at once, a credential revoked or a participant's roles changed in the
//! database take effect on a serving hub within that time. The cache is cleared whole when
//! it holds [`CREDENTIAL_CACHE_ENTRIES_MAX`] credentials.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::clock::EpochMs;
use crate::credential::{CredentialRecord, KeyId};

/// How long a credential read from the database is trusted, in ms.
pub(crate) const CREDENTIAL_CACHE_TTL_MS: i64 = 5_000;
/// Most credentials kept.
pub(crate) const CREDENTIAL_CACHE_ENTRIES_MAX: usize = 10_000;

/// Credentials by key id, with when they were read.
#[derive(Default)]
pub(crate) struct CredentialCache {
    entries: Mutex<HashMap<KeyId, (CredentialRecord, EpochMs)>>,
}

impl CredentialCache {
    /// The credential `key_id` if it was read less than the TTL before `now`.
    pub(crate) fn get(&self, key_id: KeyId, now: EpochMs) -> Option<CredentialRecord> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (record, read_at) = entries.get(&key_id)?;
        let age = now.get().saturating_sub(read_at.get());
        (0..CREDENTIAL_CACHE_TTL_MS)
            .contains(&age)
            .then_some(*record)
    }

    /// Keeps `record`, read at `now`.
    pub(crate) fn put(&self, key_id: KeyId, record: CredentialRecord, now: EpochMs) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CREDENTIAL_CACHE_ENTRIES_MAX {
            entries.clear();
        }
        entries.insert(key_id, (record, now));
    }
}
