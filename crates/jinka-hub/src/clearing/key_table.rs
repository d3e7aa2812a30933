//! [`KeyTable`]: the issuer master keys the ingest and load decisions use, unsealed from the
//! vault into a `jinka_clearing::MemoryKeyStore` at start and rebuilt whenever a key set is
//! uploaded through the API. Key sets added by the admin commands to the data directory of a
//! serving hub are taken at the hub's next start.

use std::sync::{Arc, PoisonError, RwLock};

use jinka_clearing::{IssuerId, MasterKeys, MemoryKeyStore};

use crate::error::HubError;
use crate::vault::KeyVault;

/// The current key store, swapped whole when the keys change.
pub(crate) struct KeyTable {
    current: RwLock<Arc<MemoryKeyStore>>,
}

fn key_store(vault: &dyn KeyVault) -> Result<MemoryKeyStore, HubError> {
    let sets = vault
        .unseal_issuer_keys()?
        .into_iter()
        .map(|set| MasterKeys {
            issuer_id: IssuerId::new(set.issuer_id.bytes()),
            key_version: set.key_version,
            profile: set.profile,
            load: set.load,
            tac: set.tac,
        });
    MemoryKeyStore::new(sets)
        .map_err(|error| HubError::corrupt(format!("table issuer_key_sets: {error}")))
}

impl KeyTable {
    /// The vault's keys.
    pub(crate) fn load(vault: &dyn KeyVault) -> Result<KeyTable, HubError> {
        Ok(KeyTable {
            current: RwLock::new(Arc::new(key_store(vault)?)),
        })
    }

    /// The keys now.
    pub(crate) fn current(&self) -> Arc<MemoryKeyStore> {
        // A poisoned lock still holds a whole key store: it is only ever swapped.
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Rebuilds the store from the vault.
    pub(crate) fn reload(&self, vault: &dyn KeyVault) -> Result<(), HubError> {
        let fresh = Arc::new(key_store(vault)?);
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = fresh;
        Ok(())
    }
}
