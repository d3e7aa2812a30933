//! Access conditions of files.

use serde::{Deserialize, Serialize};

/// What a command must have shown before it may read or write a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "condition", content = "key_index")]
pub enum Access {
    /// No condition.
    Always,
    /// Not by any command (only the card's own e-purse logic writes such a file).
    Never,
    /// After a successful VERIFY of the application's PIN in this session.
    Pin,
    /// With secure messaging: the command carries a MAC under the application's maintenance
    /// key of this index, over a fresh challenge.
    Mac(u8),
    /// After EXTERNAL AUTHENTICATE with the application's external-authentication key of this
    /// index in this session.
    Authenticated(u8),
}

impl Access {
    /// The one-byte kind and the key index, as CREATE FILE carries them.
    pub fn to_bytes(self) -> [u8; 2] {
        match self {
            Access::Always => [0x00, 0],
            Access::Never => [0xFF, 0],
            Access::Pin => [0x01, 0],
            Access::Mac(index) => [0x02, index],
            Access::Authenticated(index) => [0x03, index],
        }
    }

    /// The inverse of [`Access::to_bytes`].
    pub fn from_bytes(kind: u8, index: u8) -> Option<Access> {
        match kind {
            0x00 => Some(Access::Always),
            0xFF => Some(Access::Never),
            0x01 => Some(Access::Pin),
            0x02 => Some(Access::Mac(index)),
            0x03 => Some(Access::Authenticated(index)),
            _ => None,
        }
    }
}
