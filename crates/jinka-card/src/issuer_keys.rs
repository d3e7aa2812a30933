//! An issuer's (or a department's) master key set, and its JSON file form.
//!
//! ```json
//! { "format": "jinka-issuer-keys", "profile": "sm4", "key_version": 1,
//!   "issuer_id": "3104000000000001",
//!   "purchase": "…32 hex…", "load": "…", "tac": "…", "maintenance": "…",
//!   "authentication": "…", "card_manager": "…" }
//! ```

use jinka_crypto::{Key16, Profile};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::entropy::Entropy;

/// The `format` field of an issuer key file.
pub const ISSUER_KEYS_FORMAT: &str = "jinka-issuer-keys";

/// Master keys of one issuer (or department) for one key version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerKeys {
    /// Cryptographic profile.
    pub profile: Profile,
    /// Key version, reported by the card in INITIALIZE.
    pub key_version: u8,
    /// Issuer id (8 bytes), written in EF 0x15.
    pub issuer_id: [u8; 8],
    /// Master purchase key (MPK → DPK).
    pub purchase: Key16,
    /// Master load key (MLK → DLK).
    pub load: Key16,
    /// Master TAC key (MTK → DTK).
    pub tac: Key16,
    /// Master application maintenance key (→ DAMK: block / unblock, MAC-protected writes).
    pub maintenance: Key16,
    /// Master authentication key (→ internal / external authentication keys).
    pub authentication: Key16,
    /// Card manager master key (→ the card's key for post-issuance management).
    pub card_manager: Key16,
}

/// Why an issuer key file was refused.
#[derive(Debug, thiserror::Error)]
pub enum IssuerKeysError {
    /// Not JSON, or a field missing or of the wrong type.
    #[error("not an issuer key set: {0}")]
    Malformed(String),
    /// A field has a value out of its domain.
    #[error("issuer key set field `{field}`: {reason}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    format: String,
    profile: String,
    key_version: u8,
    issuer_id: String,
    purchase: Zeroizing<String>,
    load: Zeroizing<String>,
    tac: Zeroizing<String>,
    maintenance: Zeroizing<String>,
    authentication: Zeroizing<String>,
    card_manager: Zeroizing<String>,
}

impl IssuerKeys {
    /// A fresh key set with keys from `entropy`.
    pub fn generate(
        profile: Profile,
        key_version: u8,
        issuer_id: [u8; 8],
        entropy: &mut impl Entropy,
    ) -> IssuerKeys {
        let mut key = || {
            let mut bytes = Zeroizing::new([0u8; 16]);
            entropy.fill(bytes.as_mut());
            Key16::new(*bytes)
        };
        IssuerKeys {
            profile,
            key_version,
            issuer_id,
            purchase: key(),
            load: key(),
            tac: key(),
            maintenance: key(),
            authentication: key(),
            card_manager: key(),
        }
    }

    /// The JSON file text (holds keys in clear: write it with mode 0600).
    pub fn to_json(&self) -> Zeroizing<String> {
        let wire = Wire {
            format: ISSUER_KEYS_FORMAT.to_owned(),
            profile: self.profile.name().to_owned(),
            key_version: self.key_version,
            issuer_id: hex::encode_upper(self.issuer_id),
            purchase: Zeroizing::new(self.purchase.to_hex()),
            load: Zeroizing::new(self.load.to_hex()),
            tac: Zeroizing::new(self.tac.to_hex()),
            maintenance: Zeroizing::new(self.maintenance.to_hex()),
            authentication: Zeroizing::new(self.authentication.to_hex()),
            card_manager: Zeroizing::new(self.card_manager.to_hex()),
        };
        let mut text = serde_json::to_string_pretty(&wire).expect("a key set serializes");
        text.push('\n');
        Zeroizing::new(text)
    }

    /// Parses the JSON file text. Errors never quote key material.
    pub fn from_json(text: &str) -> Result<IssuerKeys, IssuerKeysError> {
        // serde_json's messages name fields and positions, not values of string fields.
        let wire: Wire =
            serde_json::from_str(text).map_err(|e| IssuerKeysError::Malformed(e.to_string()))?;
        if wire.format != ISSUER_KEYS_FORMAT {
            return Err(IssuerKeysError::Field {
                field: "format",
                reason: "must be \"jinka-issuer-keys\"",
            });
        }
        let profile = Profile::from_name(&wire.profile).ok_or(IssuerKeysError::Field {
            field: "profile",
            reason: "must be \"sm4\" or \"des3\"",
        })?;
        let issuer_id = hex::decode(&wire.issuer_id)
            .ok()
            .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
            .ok_or(IssuerKeysError::Field {
                field: "issuer_id",
                reason: "must be 16 hex digits",
            })?;
        let key = |field: &'static str, text: &str| {
            Key16::from_hex(text).map_err(|_| IssuerKeysError::Field {
                field,
                reason: "must be 32 hex digits",
            })
        };
        Ok(IssuerKeys {
            profile,
            key_version: wire.key_version,
            issuer_id,
            purchase: key("purchase", &wire.purchase)?,
            load: key("load", &wire.load)?,
            tac: key("tac", &wire.tac)?,
            maintenance: key("maintenance", &wire.maintenance)?,
            authentication: key("authentication", &wire.authentication)?,
            card_manager: key("card_manager", &wire.card_manager)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::SeededEntropy;

    #[test]
    fn json_round_trips() {
        let keys = IssuerKeys::generate(
            Profile::Sm4,
            3,
            [0x31, 0x04, 0, 0, 0, 0, 0, 1],
            &mut SeededEntropy::new(7),
        );
        let text = keys.to_json();
        assert!(text.contains("\"profile\": \"sm4\""));
        assert_eq!(IssuerKeys::from_json(&text).unwrap(), keys);
    }

    #[test]
    fn bad_files_are_refused_without_echoing_keys() {
        let keys = IssuerKeys::generate(Profile::Des3, 1, [0; 8], &mut SeededEntropy::new(1));
        let text = keys
            .to_json()
            .replace(&keys.tac.to_hex(), "ABCDEF0123456789ABCDEF0123456789XX");
        let error = IssuerKeys::from_json(&text).unwrap_err().to_string();
        assert_eq!(error, "issuer key set field `tac`: must be 32 hex digits");
        let foreign = text.replace("jinka-issuer-keys", "something-else");
        assert!(IssuerKeys::from_json(&foreign).is_err());
        assert!(matches!(
            IssuerKeys::from_json("{"),
            Err(IssuerKeysError::Malformed(_))
        ));
        let debug = format!("{keys:?}");
        assert!(!debug.contains(&keys.purchase.to_hex()));
    }
}
