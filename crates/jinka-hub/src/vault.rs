//! The key vault interface: the hub's issuer master keys (load and TAC) behind operations an
//! HSM could implement (`hub.md` § Keys). No method returns key bytes except
//! [`KeyVault::unseal_issuer_keys`], which is crate-internal: it hands the in-memory key table to
//! the ingest and load code and is never serialized, logged or sent over HTTP.

use jinka_card::IssuerKeys;
use jinka_crypto::{Key16, Profile};
use serde::Serialize;

use crate::byte_id::IssuerId;
use crate::card::serialize_profile;
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::store::Scope;

/// The kinds of master key the hub keeps of an uploaded set (the others are the issuer's own
/// business: purchase keys live in SAMs). The card manager key signs the post-issuance
/// management scripts the hub produces; sets sealed before it was kept (layout 1) lack it.
pub const KEPT_KEY_KINDS: [&str; 3] = ["load", "tac", "card_manager"];

/// What the registry shows of a stored key set: never a key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IssuerKeySet {
    /// The issuer participant that owns it.
    pub issuer: ParticipantId,
    /// The issuer id of its cards.
    pub issuer_id: IssuerId,
    /// Key version.
    pub key_version: u8,
    /// Profile.
    #[serde(serialize_with = "serialize_profile")]
    pub profile: Profile,
    /// Kinds of master key kept.
    pub kinds: [&'static str; 3],
    /// When it was uploaded.
    pub created_at_ms: EpochMs,
}

/// A key set as stored: its description in clear, its keys sealed under the KEK.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SealedIssuerKeys {
    pub(crate) info: IssuerKeySet,
    /// The sealed envelope (JSON text of `jinka_crypto::sealing`).
    pub(crate) sealed: String,
}

/// One row of the in-memory key table: the master keys to check TACs and compute MAC2 with.
/// Its `Debug` masks the keys ([`Key16`]); it has no `Serialize`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UnsealedIssuerKeys {
    pub(crate) issuer_id: IssuerId,
    pub(crate) key_version: u8,
    pub(crate) profile: Profile,
    pub(crate) load: Key16,
    pub(crate) tac: Key16,
    /// The card manager master key (`None` for a set sealed before the hub kept it).
    pub(crate) card_manager: Option<Key16>,
}

/// Where issuer master keys are kept. The software implementation seals them under a KEK in
/// the database; an HSM would keep them inside and answer `jinka-clearing`'s `KeyStore`
/// operations itself.
pub(crate) trait KeyVault: Send + Sync {
    /// Keeps the load, TAC and card manager master keys of `keys` for the issuer participant
    /// `issuer`.
    fn put_issuer_keys(
        &self,
        issuer: ParticipantId,
        keys: &IssuerKeys,
        now: EpochMs,
    ) -> Result<IssuerKeySet, HubError>;

    /// Descriptions of the key sets of the issuers in `scope`.
    fn issuer_key_sets(&self, scope: Scope) -> Result<Vec<IssuerKeySet>, HubError>;

    /// The whole key table, in memory, for the ingest and load decisions.
    fn unseal_issuer_keys(&self) -> Result<Vec<UnsealedIssuerKeys>, HubError>;
}
