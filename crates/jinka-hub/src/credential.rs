//! API keys: 32 random bytes shown once, stored only as an SM3 hash, found by a public key id.
//!
//! The key's text is `jinka_<key id: 16 hex>_<secret: 64 hex>`. The key id is 8 random bytes
//! of its own (not part of the secret), unique in the registry, so a request's key is looked up
//! by id and then compared by hash in constant time. The stored hash is
//! `SM3("jinka-hub-api-key" ‖ key id ‖ secret)`: a 256-bit random secret needs no slow hash.

use core::fmt;

use serde::Serialize;
use sm3::{Digest, Sm3};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::clock::EpochMs;
use crate::entropy::Entropy;
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::role::Roles;

/// Bytes of an API key's secret.
pub const API_KEY_SECRET_BYTES: usize = 32;
/// Bytes of an API key's public id.
pub const API_KEY_ID_BYTES: usize = 8;
/// Longest credential label, in characters.
pub const CREDENTIAL_LABEL_CHARS_MAX: usize = 100;

const TOKEN_PREFIX: &str = "jinka_";
const HASH_LABEL: &[u8] = b"jinka-hub-api-key";

/// A credential's number in the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct CredentialId(u64);

impl CredentialId {
    /// Reads a stored id back.
    pub(crate) fn from_column(id: i64) -> Option<CredentialId> {
        u64::try_from(id).ok().map(CredentialId)
    }

    /// The number.
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// The public id of an API key (not secret: it appears in logs and listings).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; API_KEY_ID_BYTES]);

impl KeyId {
    /// Lower-case hexadecimal, as in the key's text.
    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl Serialize for KeyId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The SM3 hash an API key is stored as.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyHash(pub(crate) [u8; 32]);

impl KeyHash {
    /// Whether `other` is the same hash, compared in constant time.
    pub(crate) fn matches(&self, other: &KeyHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyHash(***)")
    }
}

/// An API key: its id and secret. `Debug` masks it; it is zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ApiKey {
    #[zeroize(skip)]
    key_id: KeyId,
    secret: [u8; API_KEY_SECRET_BYTES],
}

impl ApiKey {
    /// A fresh key.
    pub(crate) fn generate(entropy: &dyn Entropy) -> Result<ApiKey, HubError> {
        let mut key_id = [0u8; API_KEY_ID_BYTES];
        let mut secret = Zeroizing::new([0u8; API_KEY_SECRET_BYTES]);
        entropy.fill(&mut key_id)?;
        entropy.fill(secret.as_mut())?;
        Ok(ApiKey {
            key_id: KeyId(key_id),
            secret: *secret,
        })
    }

    /// Parses a key's text; `None` for anything else (never says why: it is a secret).
    pub fn parse(text: &str) -> Option<ApiKey> {
        let rest = text.strip_prefix(TOKEN_PREFIX)?;
        let (id_text, secret_text) = rest.split_once('_')?;
        let mut key_id = [0u8; API_KEY_ID_BYTES];
        hex::decode_to_slice(id_text, &mut key_id).ok()?;
        let mut secret = Zeroizing::new([0u8; API_KEY_SECRET_BYTES]);
        hex::decode_to_slice(secret_text, secret.as_mut()).ok()?;
        Some(ApiKey {
            key_id: KeyId(key_id),
            secret: *secret,
        })
    }

    /// The public id.
    pub const fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The key's text, to show once to its holder: never log it.
    pub fn expose(&self) -> Zeroizing<String> {
        let mut secret = Zeroizing::new(hex::encode(self.secret));
        let text = Zeroizing::new(format!(
            "{TOKEN_PREFIX}{}_{}",
            self.key_id.to_hex(),
            secret.as_str()
        ));
        secret.zeroize();
        text
    }

    /// The hash it is stored as.
    pub(crate) fn hash(&self) -> KeyHash {
        let digest = Sm3::new()
            .chain_update(HASH_LABEL)
            .chain_update(self.key_id.0)
            .chain_update(self.secret)
            .finalize();
        let mut hash = [0u8; 32];
        hash.copy_from_slice(&digest);
        KeyHash(hash)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({}, ***)", self.key_id)
    }
}

/// A credential to create for a participant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NewCredential {
    pub(crate) participant: ParticipantId,
    pub(crate) key_id: KeyId,
    pub(crate) key_hash: KeyHash,
    pub(crate) label: String,
}

/// Checks a credential label: at most [`CREDENTIAL_LABEL_CHARS_MAX`] characters, no control
/// characters (it may be empty).
pub(crate) fn checked_label(label: &str) -> Result<String, HubError> {
    if label.chars().count() > CREDENTIAL_LABEL_CHARS_MAX {
        return Err(HubError::invalid(
            "label",
            format!("must be at most {CREDENTIAL_LABEL_CHARS_MAX} characters"),
        ));
    }
    if label.chars().any(char::is_control) {
        return Err(HubError::invalid(
            "label",
            "must not hold control characters",
        ));
    }
    Ok(label.to_owned())
}

/// A registered credential, without its secret (its JSON form is the API's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Credential {
    /// Its number.
    pub id: CredentialId,
    /// Whose it is.
    pub participant: ParticipantId,
    /// The public id of its key.
    pub key_id: KeyId,
    /// What its holder calls it.
    pub label: String,
    /// When it was created.
    pub created_at_ms: EpochMs,
}

/// A credential just created, with its key: the only time the key is seen.
#[derive(Debug)]
pub struct IssuedCredential {
    /// The credential.
    pub credential: Credential,
    /// Its key.
    pub api_key: ApiKey,
}

/// What authentication reads: the credential's hash and its holder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CredentialRecord {
    pub(crate) id: CredentialId,
    pub(crate) participant: ParticipantId,
    pub(crate) roles: Roles,
    pub(crate) key_hash: KeyHash,
    pub(crate) revoked: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counting;

    impl Entropy for Counting {
        fn fill(&self, out: &mut [u8]) -> Result<(), HubError> {
            for (i, byte) in out.iter_mut().enumerate() {
                *byte = i as u8;
            }
            Ok(())
        }
    }

    #[test]
    fn text_round_trips_and_debug_masks_the_secret() {
        let key = ApiKey::generate(&Counting).unwrap();
        let text = key.expose();
        assert_eq!(text.len(), 6 + 16 + 1 + 64);
        let parsed = ApiKey::parse(&text).unwrap();
        assert_eq!(parsed.key_id(), key.key_id());
        assert!(parsed.hash().matches(&key.hash()));
        let debug = format!("{key:?}");
        assert_eq!(debug, "ApiKey(0001020304050607, ***)");
        assert!(!debug.contains("08090a0b"));
    }

    #[test]
    fn other_texts_are_not_keys() {
        let text = ApiKey::generate(&Counting).unwrap().expose();
        for bad in [
            "",
            "jinka_",
            &text[..text.len() - 1],
            &text.replace("jinka_", "other_"),
            &format!("{}0", text.as_str()),
            &text.replacen('_', "-", 2),
        ] {
            assert!(ApiKey::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_changed_secret_does_not_match() {
        let key = ApiKey::generate(&Counting).unwrap();
        let text = key.expose();
        let last = if text.ends_with('f') { "e" } else { "f" };
        let changed = ApiKey::parse(&format!("{}{last}", &text[..text.len() - 1])).unwrap();
        assert!(!changed.hash().matches(&key.hash()));
    }

    #[test]
    fn labels_are_checked() {
        assert_eq!(checked_label("").unwrap(), "");
        assert!(checked_label("line\nbreak").is_err());
        assert!(checked_label(&"x".repeat(101)).is_err());
    }
}
