//! What a software SAM keeps across restarts — terminal id, key sets, serial high-water mark —
//! and its versioned JSON form.
//!
//! ```json
//! { "format": "jinka-sam", "version": 1, "terminal_id": "112233445566", "serial_next": 201,
//!   "key_sets": [ { "issuer_id": "3104000000000001", "key_version": 1, "profile": "sm4",
//!                   "purchase": "…32 hex…", "maintenance": "…32 hex…" } ] }
//! ```

use jinka_crypto::{Key16, Profile};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::key_table::{IssuerMasterKeys, KeyTable};
use crate::sam::TERMINAL_ID_BYTES;

/// The `format` field of a SAM state.
pub const SAM_STATE_FORMAT: &str = "jinka-sam";
/// The `version` field this crate writes and reads.
pub const SAM_STATE_VERSION: u32 = 1;
/// The first serial a new SAM hands out (0 is never used, so it can stand for "none").
pub const SERIAL_FIRST: u64 = 1;
/// One past the last serial: serials are 4 bytes.
pub const SERIAL_END: u64 = 1 << 32;

/// The persistent state of a software SAM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SamState {
    /// The terminal id MACed into every purchase.
    pub terminal_id: [u8; TERMINAL_ID_BYTES],
    /// The issuers' master keys.
    pub keys: KeyTable,
    /// Every serial below this may have been handed out; a SAM loaded from this state hands
    /// out this one next. At most [`SERIAL_END`] (exhausted).
    pub serial_next: u64,
}

/// Why a SAM state (or its JSON text) was refused. Never quotes key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// Not JSON or not of the expected shape; only the position is reported, since the text
    /// holds keys.
    #[error("not a SAM state: malformed JSON at line {line}, column {column}")]
    Malformed {
        /// Line of the error.
        line: usize,
        /// Column of the error.
        column: usize,
    },
    /// A version this code does not read.
    #[error("SAM state version {version} is not supported (this program reads version 1)")]
    UnsupportedVersion {
        /// The file's version.
        version: u32,
    },
    /// A field has a value out of its domain.
    #[error("SAM state field `{field}`: {reason}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// More key sets than [`crate::KEY_SETS_MAX`].
    #[error("{count} key sets, more than a SAM holds")]
    TooManyKeySets {
        /// How many there were.
        count: usize,
    },
    /// Two key sets for the same issuer and key version.
    #[error(
        "two key sets for issuer {} key version {key_version}",
        hex::encode_upper(issuer_id)
    )]
    DuplicateKeySet {
        /// The issuer.
        issuer_id: [u8; 8],
        /// The key version.
        key_version: u8,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    format: String,
    version: u32,
    terminal_id: String,
    serial_next: u64,
    key_sets: Vec<WireKeySet>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireKeySet {
    issuer_id: String,
    key_version: u8,
    profile: String,
    purchase: Zeroizing<String>,
    maintenance: Zeroizing<String>,
}

impl SamState {
    /// A new SAM's state: serials start at [`SERIAL_FIRST`].
    pub fn new(terminal_id: [u8; TERMINAL_ID_BYTES], keys: KeyTable) -> SamState {
        SamState {
            terminal_id,
            keys,
            serial_next: SERIAL_FIRST,
        }
    }

    /// The JSON text (holds keys in clear: keep it in a sealed or 0600 file).
    pub fn to_json(&self) -> Zeroizing<String> {
        let key_sets = self
            .keys
            .iter()
            .map(|entry| WireKeySet {
                issuer_id: hex::encode_upper(entry.issuer_id),
                key_version: entry.key_version,
                profile: entry.profile.name().to_owned(),
                purchase: Zeroizing::new(entry.purchase.to_hex()),
                maintenance: Zeroizing::new(entry.maintenance.to_hex()),
            })
            .collect();
        let wire = Wire {
            format: SAM_STATE_FORMAT.to_owned(),
            version: SAM_STATE_VERSION,
            terminal_id: hex::encode_upper(self.terminal_id),
            serial_next: self.serial_next,
            key_sets,
        };
        let mut text = serde_json::to_string_pretty(&wire).expect("a SAM state serializes");
        text.push('\n');
        Zeroizing::new(text)
    }

    /// Parses the JSON text.
    pub fn from_json(text: &str) -> Result<SamState, StateError> {
        let wire: Wire = serde_json::from_str(text).map_err(|e| StateError::Malformed {
            line: e.line(),
            column: e.column(),
        })?;
        if wire.format != SAM_STATE_FORMAT {
            return Err(StateError::Field {
                field: "format",
                reason: "must be \"jinka-sam\"",
            });
        }
        if wire.version != SAM_STATE_VERSION {
            return Err(StateError::UnsupportedVersion {
                version: wire.version,
            });
        }
        let terminal_id = hex_array(&wire.terminal_id).ok_or(StateError::Field {
            field: "terminal_id",
            reason: "must be 12 hex digits",
        })?;
        if wire.serial_next > SERIAL_END {
            return Err(StateError::Field {
                field: "serial_next",
                reason: "must be at most 4294967296",
            });
        }
        if wire.key_sets.len() > crate::key_table::KEY_SETS_MAX {
            return Err(StateError::TooManyKeySets {
                count: wire.key_sets.len(),
            });
        }
        let entries = wire
            .key_sets
            .iter()
            .map(key_set)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SamState {
            terminal_id,
            keys: KeyTable::new(entries)?,
            serial_next: wire.serial_next,
        })
    }
}

fn key_set(wire: &WireKeySet) -> Result<IssuerMasterKeys, StateError> {
    let key = |field: &'static str, text: &str| {
        Key16::from_hex(text).map_err(|_| StateError::Field {
            field,
            reason: "must be 32 hex digits",
        })
    };
    Ok(IssuerMasterKeys {
        issuer_id: hex_array(&wire.issuer_id).ok_or(StateError::Field {
            field: "issuer_id",
            reason: "must be 16 hex digits",
        })?,
        key_version: wire.key_version,
        profile: Profile::from_name(&wire.profile).ok_or(StateError::Field {
            field: "profile",
            reason: "must be \"sm4\" or \"des3\"",
        })?,
        purchase: key("purchase", &wire.purchase)?,
        maintenance: key("maintenance", &wire.maintenance)?,
    })
}

fn hex_array<const N: usize>(text: &str) -> Option<[u8; N]> {
    hex::decode(text)
        .ok()
        .and_then(|bytes| <[u8; N]>::try_from(bytes).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> SamState {
        let entry = |issuer: u8, version: u8, profile| IssuerMasterKeys {
            issuer_id: [0x31, 0x04, 0, 0, 0, 0, 0, issuer],
            key_version: version,
            profile,
            purchase: Key16::new([issuer ^ 0x5A; 16]),
            maintenance: Key16::new([version ^ 0xA5; 16]),
        };
        let keys = KeyTable::new(vec![
            entry(2, 1, Profile::Des3),
            entry(1, 1, Profile::Sm4),
            entry(1, 2, Profile::Sm4),
        ])
        .unwrap();
        SamState::new([1, 2, 3, 4, 5, 6], keys)
    }

    #[test]
    fn json_round_trips() {
        let mut state = state();
        state.serial_next = SERIAL_END;
        let text = state.to_json();
        assert!(text.contains("\"format\": \"jinka-sam\""));
        assert_eq!(SamState::from_json(&text).unwrap(), state);
    }

    #[test]
    fn bad_fields_are_refused_without_echoing_keys() {
        let state = state();
        let text = state.to_json();
        let key = state.keys.iter().next().unwrap().purchase.to_hex();
        let broken = text.replacen(&key, &format!("{key}00"), 1);
        assert_eq!(
            SamState::from_json(&broken),
            Err(StateError::Field {
                field: "purchase",
                reason: "must be 32 hex digits"
            })
        );
        // A key where a number belongs: serde would quote the string; we report a position.
        let misplaced = text.replacen(
            "\"key_version\": 1",
            &format!("\"key_version\": \"{key}\""),
            1,
        );
        let error = SamState::from_json(&misplaced).unwrap_err();
        assert!(matches!(error, StateError::Malformed { .. }));
        assert!(!error.to_string().contains(&key), "{error}");
        let future = text.replace("\"version\": 1", "\"version\": 2");
        assert_eq!(
            SamState::from_json(&future),
            Err(StateError::UnsupportedVersion { version: 2 })
        );
        let beyond = text.replace(
            &format!("\"serial_next\": {}", state.serial_next),
            "\"serial_next\": 4294967297",
        );
        assert!(matches!(
            SamState::from_json(&beyond),
            Err(StateError::Field {
                field: "serial_next",
                ..
            })
        ));
    }

    #[test]
    fn duplicates_are_refused() {
        let entry = state().keys.iter().next().unwrap().clone();
        assert_eq!(
            KeyTable::new(vec![entry.clone(), entry.clone()]),
            Err(StateError::DuplicateKeySet {
                issuer_id: entry.issuer_id,
                key_version: entry.key_version
            })
        );
    }
}
