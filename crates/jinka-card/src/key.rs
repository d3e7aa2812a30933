//! Keys held by an application.

use jinka_crypto::Key16;
use serde::{Deserialize, Serialize};

/// What a key of an application is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyUsage {
    /// DPK: purchase session keys (MAC1 / MAC2).
    Purchase,
    /// DLK: load session keys.
    Load,
    /// DTK: transaction authentication codes.
    Tac,
    /// DUK: unload (kept for completeness of the PBOC key set).
    Unload,
    /// DAMK: application maintenance (APPLICATION BLOCK / UNBLOCK, MAC-protected writes).
    Maintenance,
    /// INTERNAL AUTHENTICATE: the card proves itself.
    Internal,
    /// EXTERNAL AUTHENTICATE: the terminal proves itself.
    External,
}

impl KeyUsage {
    /// The byte PUT KEY carries.
    pub const fn code(self) -> u8 {
        match self {
            KeyUsage::Purchase => 0x01,
            KeyUsage::Load => 0x02,
            KeyUsage::Tac => 0x03,
            KeyUsage::Unload => 0x04,
            KeyUsage::Maintenance => 0x05,
            KeyUsage::Internal => 0x06,
            KeyUsage::External => 0x07,
        }
    }

    /// The inverse of [`KeyUsage::code`].
    pub const fn from_code(code: u8) -> Option<KeyUsage> {
        Some(match code {
            0x01 => KeyUsage::Purchase,
            0x02 => KeyUsage::Load,
            0x03 => KeyUsage::Tac,
            0x04 => KeyUsage::Unload,
            0x05 => KeyUsage::Maintenance,
            0x06 => KeyUsage::Internal,
            0x07 => KeyUsage::External,
            _ => return None,
        })
    }
}

/// One key of an application: a card key, already diversified for this card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppKey {
    /// What it is for.
    pub usage: KeyUsage,
    /// Its index (the key index of INITIALIZE, the P2 of AUTHENTICATE, ...).
    pub index: u8,
    /// Its version, reported by INITIALIZE so the SAM and hub pick the right master key.
    pub version: u8,
    /// The key.
    #[serde(with = "crate::hex_key")]
    pub key: Key16,
}
