//! The issuers' master keys a SAM holds, per issuer id and key version.

use jinka_card::IssuerKeys;
use jinka_crypto::{Key16, Profile};

use crate::error::SamError;
use crate::sam_state::StateError;

/// Most key sets (issuer × key version) one SAM holds.
pub const KEY_SETS_MAX: usize = 64;

/// The master keys of one issuer and key version that a terminal needs: purchase (MPK, for
/// MAC1 / MAC2) and maintenance (for APPLICATION BLOCK). A SAM never holds an issuer's load,
/// TAC or card manager master keys: with the TAC master a terminal could forge the proofs the
/// clearing centre pays on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerMasterKeys {
    /// Issuer id (EF 0x15 bytes 0..8).
    pub issuer_id: [u8; 8],
    /// Key version the issuer's cards report.
    pub key_version: u8,
    /// The issuer's cryptographic profile.
    pub profile: Profile,
    /// Master purchase key (MPK → DPK).
    pub purchase: Key16,
    /// Master application maintenance key (→ DAMK).
    pub maintenance: Key16,
}

impl From<&IssuerKeys> for IssuerMasterKeys {
    /// Takes the purchase and maintenance masters out of an issuer's whole key set.
    fn from(keys: &IssuerKeys) -> IssuerMasterKeys {
        IssuerMasterKeys {
            issuer_id: keys.issuer_id,
            key_version: keys.key_version,
            profile: keys.profile,
            purchase: keys.purchase.clone(),
            maintenance: keys.maintenance.clone(),
        }
    }
}

/// Key sets, at most one per (issuer id, key version), at most [`KEY_SETS_MAX`].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct KeyTable {
    /// Sorted by (issuer id, key version), no duplicates.
    entries: Vec<IssuerMasterKeys>,
}

impl KeyTable {
    /// A table of `entries`; a duplicate (issuer id, key version) or too many is refused.
    pub fn new(mut entries: Vec<IssuerMasterKeys>) -> Result<KeyTable, StateError> {
        if entries.len() > KEY_SETS_MAX {
            return Err(StateError::TooManyKeySets {
                count: entries.len(),
            });
        }
        entries.sort_by_key(|entry| (entry.issuer_id, entry.key_version));
        if let Some(pair) = entries.windows(2).find(|pair| {
            (pair[0].issuer_id, pair[0].key_version) == (pair[1].issuer_id, pair[1].key_version)
        }) {
            return Err(StateError::DuplicateKeySet {
                issuer_id: pair[0].issuer_id,
                key_version: pair[0].key_version,
            });
        }
        Ok(KeyTable { entries })
    }

    /// The key sets, sorted by (issuer id, key version).
    pub fn iter(&self) -> impl Iterator<Item = &IssuerMasterKeys> {
        self.entries.iter()
    }

    /// How many key sets the table holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table holds no key set.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The key set for a card of `issuer_id` that reported `key_version` and `algorithm_id`.
    /// Each way it can fail is its own error: unknown algorithm, unknown issuer, missing key
    /// version, algorithm that is not the key set's profile.
    pub fn lookup(
        &self,
        issuer_id: [u8; 8],
        key_version: u8,
        algorithm_id: u8,
    ) -> Result<&IssuerMasterKeys, SamError> {
        let profile = Profile::from_algorithm_id(algorithm_id)
            .ok_or(SamError::UnknownAlgorithm { algorithm_id })?;
        let entry = self.lookup_version(issuer_id, key_version)?;
        if entry.profile != profile {
            return Err(SamError::AlgorithmMismatch {
                issuer_id,
                key_version,
                algorithm_id,
            });
        }
        Ok(entry)
    }

    /// The key set of `issuer_id` and `key_version`, whatever its profile.
    pub fn lookup_version(
        &self,
        issuer_id: [u8; 8],
        key_version: u8,
    ) -> Result<&IssuerMasterKeys, SamError> {
        let mut of_issuer = self
            .entries
            .iter()
            .filter(|entry| entry.issuer_id == issuer_id)
            .peekable();
        if of_issuer.peek().is_none() {
            return Err(SamError::UnknownIssuer { issuer_id });
        }
        of_issuer
            .find(|entry| entry.key_version == key_version)
            .ok_or(SamError::MissingKeyVersion {
                issuer_id,
                key_version,
            })
    }
}
