//! A key store holding issuer master keys in memory: what the hub uses when its keys come
//! from its encrypted key file rather than an HSM, and what tests and the simulation use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jinka_crypto::{Key16, MacKey, Profile, diversify, mac_eq, session_key, tac_key};
use jinka_record::TransactionKind;

use crate::error::ClearingError;
use crate::identifiers::{Asn, IssuerId};
use crate::key_store::{KeyId, KeyStore, LoadMac};
use crate::load_request::LoadRequest;

/// TAC keys (one per card and key set) kept ready between records. A key costs a
/// diversification and a key schedule to rebuild; a full cache is emptied and refilled.
pub const TAC_KEY_CACHE_ENTRIES_MAX: usize = 65_536;

/// One issuer's master keys of one version and profile, as far as the hub needs them.
///
/// The keys are [`Key16`]: `Debug` shows none of their bytes, and they are zeroized on drop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MasterKeys {
    /// Issuer id (EF 0x15).
    pub issuer_id: IssuerId,
    /// Key version.
    pub key_version: u8,
    /// Profile.
    pub profile: Profile,
    /// Master load key (MLK → DLK), to check MAC1 and compute MAC2.
    pub load: Key16,
    /// Master TAC key (MTK → DTK), to verify TACs.
    pub tac: Key16,
}

impl MasterKeys {
    /// The id the key store files them under.
    pub const fn key_id(&self) -> KeyId {
        KeyId {
            issuer_id: self.issuer_id,
            key_version: self.key_version,
            profile: self.profile,
        }
    }
}

/// An in-memory [`KeyStore`], safe to share between threads.
///
/// TAC verification keeps each card's TAC key (DTK for `sm4`, the folded single-DES key for
/// `des3`) in a cache of at most [`TAC_KEY_CACHE_ENTRIES_MAX`] entries: a record of a card
/// seen recently costs the MAC alone. The cached keys are cipher states that zeroize on drop.
pub struct MemoryKeyStore {
    masters: HashMap<KeyId, MasterKeys>,
    tac_keys: Mutex<HashMap<(KeyId, Asn), Arc<MacKey>>>,
}

impl MemoryKeyStore {
    /// A store of these key sets; two sets with the same [`KeyId`] are refused.
    pub fn new(
        key_sets: impl IntoIterator<Item = MasterKeys>,
    ) -> Result<MemoryKeyStore, ClearingError> {
        let mut masters = HashMap::new();
        for keys in key_sets {
            let id = keys.key_id();
            if masters.insert(id, keys).is_some() {
                return Err(ClearingError::DuplicateKey(id));
            }
        }
        Ok(MemoryKeyStore {
            masters,
            tac_keys: Mutex::new(HashMap::new()),
        })
    }

    /// How many TAC keys the cache holds now.
    pub fn cached_tac_keys(&self) -> usize {
        self.cache().len()
    }

    fn cache(&self) -> MutexGuard<'_, HashMap<(KeyId, Asn), Arc<MacKey>>> {
        // The cache holds only derived keys; one left half-updated by a panic elsewhere is
        // still a set of correct keys.
        self.tac_keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn master(&self, key: &KeyId) -> Result<&MasterKeys, ClearingError> {
        self.masters.get(key).ok_or(ClearingError::UnknownKey(*key))
    }

    /// The card's TAC key, from the cache or derived (outside the lock) and cached.
    fn tac_key(&self, key: &KeyId, asn: Asn) -> Result<Arc<MacKey>, ClearingError> {
        if let Some(found) = self.cache().get(&(*key, asn)) {
            return Ok(Arc::clone(found));
        }
        let dtk = diversify(key.profile, &self.master(key)?.tac, &asn.bytes());
        let derived = Arc::new(tac_key(key.profile, &dtk));
        let mut cache = self.cache();
        if cache.len() >= TAC_KEY_CACHE_ENTRIES_MAX {
            cache.clear();
        }
        cache.insert((*key, asn), Arc::clone(&derived));
        Ok(derived)
    }
}

impl core::fmt::Debug for MemoryKeyStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut ids: Vec<_> = self.masters.keys().collect();
        ids.sort_by_key(|id| (id.issuer_id, id.key_version, id.profile.algorithm_id()));
        f.debug_struct("MemoryKeyStore")
            .field("key_sets", &ids)
            .field("cached_tac_keys", &self.cached_tac_keys())
            .finish()
    }
}

impl KeyStore for MemoryKeyStore {
    fn verify_tac(
        &self,
        key: &KeyId,
        asn: Asn,
        tac_input: &[u8],
        tac: &[u8; 4],
    ) -> Result<bool, ClearingError> {
        let mac_key = self.tac_key(key, asn)?;
        Ok(mac_eq(&mac_key.mac(&[tac_input]), tac))
    }

    fn load_mac2(&self, key: &KeyId, request: &LoadRequest) -> Result<LoadMac, ClearingError> {
        let master = self.master(key)?;
        let dlk = diversify(key.profile, &master.load, &request.asn.bytes());
        let [atc_high, atc_low] = request.online_atc.to_be_bytes();
        let [r0, r1, r2, r3] = request.card_random;
        let session = session_key(
            key.profile,
            &dlk,
            &[r0, r1, r2, r3, atc_high, atc_low, 0x80, 0x00],
        );
        let amount = request.amount_fen.to_be_bytes();
        let kind = [TransactionKind::Load.code()];
        let terminal = request.terminal_id.bytes();
        let mac1 = session.mac(&[
            &request.balance_before_fen.to_be_bytes(),
            &amount,
            &kind,
            &terminal,
        ]);
        if !mac_eq(&mac1, &request.mac1) {
            return Ok(LoadMac::Mac1Invalid);
        }
        Ok(LoadMac::Mac2(session.mac(&[
            &amount,
            &kind,
            &terminal,
            &request.date.bcd(),
            &request.time.bcd(),
        ])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(version: u8) -> MasterKeys {
        MasterKeys {
            issuer_id: IssuerId::new([0x31, 0x04, 0, 0, 0, 0, 0, 1]),
            key_version: version,
            profile: Profile::Sm4,
            load: Key16::from_hex("A1A2A3A4A5A6A7A8B1B2B3B4B5B6B7B8").unwrap(),
            tac: Key16::from_hex("0F1E2D3C4B5A69788796A5B4C3D2E1F0").unwrap(),
        }
    }

    #[test]
    fn debug_shows_no_key_byte() {
        let store = MemoryKeyStore::new([keys(1)]).unwrap();
        let shown = format!("{store:?} {:?}", keys(1));
        for secret in ["A1A2", "a1a2", "0F1E", "0f1e", "161, 162"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("Key16(***)"));
        assert!(shown.contains("3104000000000001"));
    }

    #[test]
    fn duplicate_key_sets_are_refused_and_unknown_keys_named() {
        let id = keys(1).key_id();
        assert_eq!(
            MemoryKeyStore::new([keys(1), keys(1)]).err(),
            Some(ClearingError::DuplicateKey(id))
        );
        let store = MemoryKeyStore::new([keys(1)]).unwrap();
        let other = keys(2).key_id();
        assert_eq!(
            store.verify_tac(&other, Asn::new([0; 8]), b"", &[0; 4]),
            Err(ClearingError::UnknownKey(other))
        );
        assert_eq!(store.cached_tac_keys(), 0);
    }
}
