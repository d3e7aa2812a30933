//! The names the hub's decisions speak of: cards, issuers, terminals, participants, batches
//! and load requests. Byte identifiers accept any value of their length; text identifiers are
//! checked by their only constructor.

use core::fmt;

use crate::error::ClearingError;

/// The longest batch id or request id, in bytes.
pub const IDENTIFIER_BYTES_MAX: usize = 64;

/// ASN8: the card serial its keys are diversified by, and what the hub deduplicates by.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Asn([u8; 8]);

/// The 8-byte issuer id of the card's EF 0x15. The hub looks issuer keys up by it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IssuerId([u8; 8]);

/// A terminal's 6-byte id (its SAM's), unique in the network.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TerminalId([u8; 6]);

/// A participant of the network (issuer, acquirer, load agent), as the hub numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParticipantId(u64);

/// A region code of the terminal registry (used by risk rules, not by these decisions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(u32);

/// An acquirer's own id for an uploaded batch: 1 to [`IDENTIFIER_BYTES_MAX`] printable ASCII
/// characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BatchId(String);

/// The client's idempotency key of a load request: 1 to [`IDENTIFIER_BYTES_MAX`] printable
/// ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(String);

macro_rules! byte_identifier {
    ($name:ident, $len:literal) => {
        impl $name {
            /// Wraps the bytes; every value of this length is one.
            pub const fn new(bytes: [u8; $len]) -> $name {
                $name(bytes)
            }

            /// The bytes.
            pub const fn bytes(self) -> [u8; $len] {
                self.0
            }
        }

        impl From<[u8; $len]> for $name {
            fn from(bytes: [u8; $len]) -> $name {
                $name(bytes)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                for byte in self.0 {
                    write!(f, "{byte:02X}")?;
                }
                Ok(())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }
    };
}

byte_identifier!(Asn, 8);
byte_identifier!(IssuerId, 8);
byte_identifier!(TerminalId, 6);

impl ParticipantId {
    /// Wraps the hub's number for a participant.
    pub const fn new(id: u64) -> ParticipantId {
        ParticipantId(id)
    }

    /// The number.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl Region {
    /// Wraps a region code.
    pub const fn new(code: u32) -> Region {
        Region(code)
    }

    /// The code.
    pub const fn get(self) -> u32 {
        self.0
    }
}

/// Checks a text identifier: not empty, at most [`IDENTIFIER_BYTES_MAX`] bytes, printable ASCII
/// without spaces (so it can appear in logs, paths and URLs as it is).
fn checked_identifier(field: &'static str, text: &str) -> Result<String, ClearingError> {
    let printable = text.bytes().all(|b| b.is_ascii_graphic());
    if text.is_empty() || text.len() > IDENTIFIER_BYTES_MAX || !printable {
        return Err(ClearingError::InvalidIdentifier { field });
    }
    Ok(text.to_owned())
}

impl BatchId {
    /// Parses a batch id.
    pub fn new(text: &str) -> Result<BatchId, ClearingError> {
        checked_identifier("batch_id", text).map(BatchId)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl RequestId {
    /// Parses a request id.
    pub fn new(text: &str) -> Result<RequestId, ClearingError> {
        checked_identifier("request_id", text).map(RequestId)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_identifiers_show_hex() {
        let asn = Asn::new([0x31, 0x04, 0, 0, 0, 1, 0x23, 0x45]);
        assert_eq!(asn.to_string(), "3104000000012345");
        assert_eq!(format!("{asn:?}"), "Asn(3104000000012345)");
        assert_eq!(
            format!("{:?}", TerminalId::new([0xAB; 6])),
            "TerminalId(ABABABABABAB)"
        );
    }

    #[test]
    fn text_identifiers_are_checked() {
        assert_eq!(
            BatchId::new("2026-11-27/0001").unwrap().as_str(),
            "2026-11-27/0001"
        );
        assert_eq!(RequestId::new("r-1").unwrap().to_string(), "r-1");
        for bad in ["", "with space", "tab\t", "é", &"x".repeat(65)] {
            assert_eq!(
                BatchId::new(bad),
                Err(ClearingError::InvalidIdentifier { field: "batch_id" })
            );
        }
        assert!(RequestId::new(&"x".repeat(64)).is_ok());
    }
}
