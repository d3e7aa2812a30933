//! The software key vault: issuer master keys sealed under the key-encryption key (KEK) with
//! `jinka_crypto::sealing` and stored in the database.
//!
//! The sealed plaintext binds the keys to their description, so a sealed value moved to
//! another row (another issuer or key version) does not open as that row's keys:
//!
//! ```text
//! layout version (1) ‖ issuer id (8) ‖ key version (1) ‖ algorithm id (1) ‖ load (16) ‖ tac (16)
//!     ‖ card manager (16, layout 2 only)
//! ```
//!
//! Sets are sealed in layout 2; layout 1 (no card manager key) is still read.
//!
//! At open, a sealed check value (a fixed text) tells a wrong KEK from the right one before
//! any key is needed; the first open stores it.

use std::sync::Arc;

use jinka_card::IssuerKeys;
use jinka_crypto::sealing::{self, NONCE_BYTES, OpenError};
use jinka_crypto::{Key16, Profile};
use zeroize::Zeroizing;

use crate::byte_id::IssuerId;
use crate::clock::EpochMs;
use crate::entropy::Entropy;
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::store::{Scope, Store};
use crate::vault::{IssuerKeySet, KEPT_KEY_KINDS, KeyVault, SealedIssuerKeys, UnsealedIssuerKeys};

/// The `format` of a sealed issuer key set.
pub(crate) const ISSUER_KEYS_SEALED_FORMAT: &str = "jinka-hub-issuer-keys-sealed";
/// The `format` of the KEK check value.
pub(crate) const KEK_CHECK_FORMAT: &str = "jinka-hub-kek-check";
/// What the KEK check value seals.
const KEK_CHECK_PLAINTEXT: &[u8] = b"jinka hub key-encryption key check";
/// The layout version of the sealed plaintext.
const PLAINTEXT_LAYOUT: u8 = 2;
const PLAINTEXT_BYTES: usize = 1 + 8 + 1 + 1 + 16 + 16 + 16;
/// The first layout: load and TAC keys only.
const PLAINTEXT_LAYOUT_1: u8 = 1;
const PLAINTEXT_LAYOUT_1_BYTES: usize = 1 + 8 + 1 + 1 + 16 + 16;

/// The software vault.
pub(crate) struct SealedKeyVault {
    store: Arc<dyn Store>,
    kek: Key16,
    entropy: Arc<dyn Entropy>,
}

impl SealedKeyVault {
    /// Opens the vault under `kek`: checks it against the stored check value (storing one on
    /// the first open) and that every stored key set opens. `kek_source` names where the KEK
    /// came from, for the error.
    pub(crate) fn open(
        store: Arc<dyn Store>,
        kek: Key16,
        kek_source: &str,
        entropy: Arc<dyn Entropy>,
        now: EpochMs,
    ) -> Result<SealedKeyVault, HubError> {
        let vault = SealedKeyVault {
            store,
            kek,
            entropy,
        };
        let check = match vault.store.kek_check()? {
            Some(check) => check,
            None => {
                let sealed = vault.seal(KEK_CHECK_FORMAT, KEK_CHECK_PLAINTEXT)?;
                vault.store.insert_kek_check(&sealed, now)?
            }
        };
        match sealing::open(KEK_CHECK_FORMAT, &check, &vault.kek) {
            Ok(plaintext) if plaintext.as_slice() == KEK_CHECK_PLAINTEXT => {}
            Err(OpenError::WrongKek) => {
                return Err(HubError::WrongKek {
                    source_name: kek_source.to_owned(),
                });
            }
            Ok(_) | Err(_) => return Err(HubError::corrupt("table kek_check: does not open")),
        }
        vault.unseal_issuer_keys()?;
        Ok(vault)
    }

    fn seal(&self, format: &str, plaintext: &[u8]) -> Result<String, HubError> {
        let mut nonce = [0u8; NONCE_BYTES];
        self.entropy.fill(&mut nonce)?;
        Ok(sealing::seal(format, plaintext, &self.kek, &nonce))
    }

    fn unseal(&self, row: &SealedIssuerKeys) -> Result<UnsealedIssuerKeys, HubError> {
        let info = &row.info;
        let what = || {
            format!(
                "table issuer_key_sets: key set {} version {} {}",
                info.issuer_id,
                info.key_version,
                info.profile.name()
            )
        };
        let plaintext = sealing::open(ISSUER_KEYS_SEALED_FORMAT, &row.sealed, &self.kek)
            .map_err(|error| HubError::corrupt(format!("{}: {error:?}", what())))?;
        let (issuer_id, key_version, profile, load, tac, card_manager) =
            parse_plaintext(&plaintext)
                .ok_or_else(|| HubError::corrupt(format!("{}: bad layout", what())))?;
        if (issuer_id, key_version, profile) != (info.issuer_id, info.key_version, info.profile) {
            return Err(HubError::corrupt(format!(
                "{}: sealed for another key set",
                what()
            )));
        }
        Ok(UnsealedIssuerKeys {
            issuer_id,
            key_version,
            profile,
            load,
            tac,
            card_manager,
        })
    }
}

fn plaintext(keys: &IssuerKeys) -> Zeroizing<Vec<u8>> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(PLAINTEXT_BYTES));
    bytes.push(PLAINTEXT_LAYOUT);
    bytes.extend_from_slice(&keys.issuer_id);
    bytes.push(keys.key_version);
    bytes.push(keys.profile.algorithm_id());
    bytes.extend_from_slice(keys.load.as_bytes());
    bytes.extend_from_slice(keys.tac.as_bytes());
    bytes.extend_from_slice(keys.card_manager.as_bytes());
    bytes
}

/// A sealed plaintext's fields: issuer id, key version, profile, load, TAC and (layout 2)
/// card manager keys.
type Plaintext = (IssuerId, u8, Profile, Key16, Key16, Option<Key16>);

fn parse_plaintext(bytes: &[u8]) -> Option<Plaintext> {
    let [layout, rest @ ..] = bytes else {
        return None;
    };
    let card_manager_bytes = match (*layout, bytes.len()) {
        (PLAINTEXT_LAYOUT, PLAINTEXT_BYTES) => 16,
        (PLAINTEXT_LAYOUT_1, PLAINTEXT_LAYOUT_1_BYTES) => 0,
        _ => return None,
    };
    let (issuer_id, rest) = rest.split_first_chunk::<8>()?;
    let (&[key_version, algorithm_id], rest) = rest.split_first_chunk::<2>()?;
    let (load, rest) = rest.split_first_chunk::<16>()?;
    let (tac, rest) = rest.split_first_chunk::<16>()?;
    let card_manager = match card_manager_bytes {
        0 => None,
        _ => Some(Key16::new(*<&[u8; 16]>::try_from(rest).ok()?)),
    };
    Some((
        IssuerId::new(*issuer_id),
        key_version,
        Profile::from_algorithm_id(algorithm_id)?,
        Key16::new(*load),
        Key16::new(*tac),
        card_manager,
    ))
}

impl KeyVault for SealedKeyVault {
    fn put_issuer_keys(
        &self,
        issuer: ParticipantId,
        keys: &IssuerKeys,
        now: EpochMs,
    ) -> Result<IssuerKeySet, HubError> {
        let info = IssuerKeySet {
            issuer,
            issuer_id: IssuerId::new(keys.issuer_id),
            key_version: keys.key_version,
            profile: keys.profile,
            kinds: KEPT_KEY_KINDS,
            created_at_ms: now,
        };
        let sealed = self.seal(ISSUER_KEYS_SEALED_FORMAT, &plaintext(keys))?;
        let row = SealedIssuerKeys { info, sealed };
        self.store.insert_sealed_issuer_keys(&row)?;
        Ok(row.info)
    }

    fn issuer_key_sets(&self, scope: Scope) -> Result<Vec<IssuerKeySet>, HubError> {
        let rows = self.store.sealed_issuer_keys(scope)?;
        Ok(rows.into_iter().map(|row| row.info).collect())
    }

    fn unseal_issuer_keys(&self) -> Result<Vec<UnsealedIssuerKeys>, HubError> {
        let rows = self.store.sealed_issuer_keys(Scope::All)?;
        rows.iter().map(|row| self.unseal(row)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::OsEntropy;
    use crate::participant::NewParticipant;
    use crate::region::Region;
    use crate::role::{Role, Roles};
    use crate::sqlite::SqliteStore;

    fn keys(key_version: u8, seed: u8) -> IssuerKeys {
        let key = |n: u8| Key16::new([seed.wrapping_add(n); 16]);
        IssuerKeys {
            profile: Profile::Sm4,
            key_version,
            issuer_id: [0x31, 4, 0, 0, 0, 0, 0, 1],
            purchase: key(1),
            load: key(2),
            tac: key(3),
            maintenance: key(4),
            authentication: key(5),
            card_manager: key(6),
        }
    }

    #[test]
    fn unsealing_gives_back_load_and_tac_and_refuses_moved_values() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("hub.sqlite3");
        let now = EpochMs::new(1);
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, now).unwrap());
        let kek = Key16::new([9; 16]);
        let vault =
            SealedKeyVault::open(store.clone(), kek.clone(), "test", Arc::new(OsEntropy), now)
                .unwrap();
        let issuer = store
            .insert_participant(
                NewParticipant::new(
                    "Issuer",
                    Roles::new([Role::Issuer]).unwrap(),
                    Region::new(1),
                )
                .unwrap(),
                now,
            )
            .unwrap()
            .id;
        let (first, second) = (keys(1, 10), keys(2, 20));
        vault.put_issuer_keys(issuer, &first, now).unwrap();
        vault.put_issuer_keys(issuer, &second, now).unwrap();
        let table = vault.unseal_issuer_keys().unwrap();
        assert_eq!(table.len(), 2);
        assert_eq!((table[0].key_version, &table[0].load), (1, &first.load));
        assert_eq!((table[1].key_version, &table[1].tac), (2, &second.tac));
        assert!(!format!("{table:?}").contains("0A0A"));

        // A sealed value copied onto another row does not open as that row's keys.
        let connection = rusqlite::Connection::open(&path).unwrap();
        connection
            .execute(
                "UPDATE issuer_key_sets SET sealed =
                    (SELECT sealed FROM issuer_key_sets WHERE key_version = 2)
                 WHERE key_version = 1",
                [],
            )
            .unwrap();
        let error = vault.unseal_issuer_keys().unwrap_err();
        assert!(
            error.to_string().contains("sealed for another key set"),
            "{error}"
        );
        // And a wrong KEK is told apart at open.
        let error =
            SealedKeyVault::open(store, Key16::new([8; 16]), "test", Arc::new(OsEntropy), now)
                .err()
                .unwrap();
        assert!(matches!(error, HubError::WrongKek { .. }), "{error}");
    }

    #[test]
    fn plaintext_round_trips() {
        let keys = IssuerKeys {
            profile: Profile::Sm4,
            key_version: 3,
            issuer_id: [0x31, 4, 0, 0, 0, 0, 0, 1],
            purchase: Key16::new([1; 16]),
            load: Key16::new([2; 16]),
            tac: Key16::new([3; 16]),
            maintenance: Key16::new([4; 16]),
            authentication: Key16::new([5; 16]),
            card_manager: Key16::new([6; 16]),
        };
        let bytes = plaintext(&keys);
        assert_eq!(bytes.len(), PLAINTEXT_BYTES);
        let (issuer_id, version, profile, load, tac, card_manager) =
            parse_plaintext(&bytes).unwrap();
        assert_eq!(issuer_id.bytes(), keys.issuer_id);
        assert_eq!((version, profile), (3, Profile::Sm4));
        assert_eq!((load, tac), (keys.load.clone(), keys.tac.clone()));
        assert_eq!(card_manager, Some(keys.card_manager.clone()));
        assert!(parse_plaintext(&bytes[..PLAINTEXT_BYTES - 1]).is_none());
        // Layout 1 (before the card manager key was kept) still opens, without it.
        let mut old = bytes[..PLAINTEXT_LAYOUT_1_BYTES].to_vec();
        old[0] = PLAINTEXT_LAYOUT_1;
        let (.., load, _, card_manager) = parse_plaintext(&old).unwrap();
        assert_eq!((load, card_manager), (keys.load.clone(), None));
        old[0] = PLAINTEXT_LAYOUT;
        assert!(parse_plaintext(&old).is_none());
        assert!(parse_plaintext(&[]).is_none());
    }
}
