//! The key-store interface: the two issuer-side cryptographic operations the hub needs, so that
//! an HSM (PKCS#11, or a PBOC host security module) can implement them without ever exporting
//! a key (`hub.md` § Keys).
//!
//! The hub never asks for a key, only for an answer: "is this the card's TAC?" and "given this
//! MAC1, what is MAC2?". Which key answers is named by a [`KeyId`] the hub builds from its own
//! card registry (issuer id and profile) and the card's reported key version, never from
//! fields a terminal could choose freely: a record's issuer id is not covered by its TAC.

use jinka_crypto::Profile;

use crate::error::ClearingError;
use crate::identifiers::{Asn, IssuerId};
use crate::load_request::LoadRequest;

/// Which master key set: issuer, key version (as the card reports it in INITIALIZE) and
/// profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyId {
    /// The issuer id of the card's EF 0x15, as the hub's registry has it.
    pub issuer_id: IssuerId,
    /// Key version.
    pub key_version: u8,
    /// Cryptographic profile (the card's, from the registry).
    pub profile: Profile,
}

/// The answer to a load's MAC1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadMac {
    /// MAC1 verified; this is MAC2 for CREDIT FOR LOAD.
    Mac2([u8; 4]),
    /// MAC1 did not verify: not a genuine card, or a tampered request.
    Mac1Invalid,
}

/// The issuer-side operations under the master load and TAC keys.
///
/// Errors: [`ClearingError::UnknownKey`] when no key set matches the [`KeyId`] (the caller
/// turns it into `bad_tac` or a refusal); [`ClearingError::KeyStoreUnavailable`] when the store
/// cannot answer now (the caller retries; nothing was decided).
pub trait KeyStore {
    /// Whether `tac` is the card's TAC over `tac_input` (`card.md`: TAC-MAC under the card's
    /// DTK, diversified from the master TAC key by `asn`). Compares in constant time.
    fn verify_tac(
        &self,
        key: &KeyId,
        asn: Asn,
        tac_input: &[u8],
        tac: &[u8; 4],
    ) -> Result<bool, ClearingError>;

    /// Checks a load's MAC1 and, when it verifies, computes MAC2 (`card.md` § Load, steps 1
    /// and 2): `SESLK = session_key(DLK, random ‖ online ATC ‖ 80 00)`,
    /// `MAC1 = MAC(SESLK, balance ‖ amount ‖ 02 ‖ terminal)`,
    /// `MAC2 = MAC(SESLK, amount ‖ 02 ‖ terminal ‖ date ‖ time)`. One operation, so a store
    /// never hands out a MAC2 for a MAC1 it did not check.
    fn load_mac2(&self, key: &KeyId, request: &LoadRequest) -> Result<LoadMac, ClearingError>;
}

impl<K: KeyStore + ?Sized> KeyStore for &K {
    fn verify_tac(
        &self,
        key: &KeyId,
        asn: Asn,
        tac_input: &[u8],
        tac: &[u8; 4],
    ) -> Result<bool, ClearingError> {
        (**self).verify_tac(key, asn, tac_input, tac)
    }

    fn load_mac2(&self, key: &KeyId, request: &LoadRequest) -> Result<LoadMac, ClearingError> {
        (**self).load_mac2(key, request)
    }
}
