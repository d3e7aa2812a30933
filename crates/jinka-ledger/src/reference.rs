//! References to things outside the ledger that a posting came from: an acquirer's batch id
//! and an online load's request id. Both are short and printable so that they go into CSV
//! cells and logs as they are (no quoting, no escaping).

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::error::LedgerError;

/// Longest batch id or load id, in bytes.
pub const REFERENCE_BYTES_MAX: usize = 64;

/// The id an acquirer gave one of its batches (`hub.md` § Offline batch ingest): 1 to
/// [`REFERENCE_BYTES_MAX`] bytes of ASCII letters, digits and `-_.:/`. Unique per acquirer
/// only, so the ledger always pairs it with the acquirer (see [`crate::BatchRef`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BatchId(String);

/// The request id of an online load (`hub.md` § Online load), when the load is posted from the
/// terminal's confirmation rather than from a batch record. Same rules as [`BatchId`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LoadId(String);

/// Checks `text` against the rules of a reference; `what` names it in the error.
fn check(what: &'static str, text: &str) -> Result<(), LedgerError> {
    let allowed = |byte: u8| byte.is_ascii_alphanumeric() || b"-_.:/".contains(&byte);
    if (1..=REFERENCE_BYTES_MAX).contains(&text.len()) && text.bytes().all(allowed) {
        Ok(())
    } else {
        Err(LedgerError::BadReference {
            what,
            text: text.chars().take(REFERENCE_BYTES_MAX).collect(),
            length: text.len(),
        })
    }
}

impl BatchId {
    /// Parses a batch id.
    pub fn new(text: &str) -> Result<BatchId, LedgerError> {
        check("batch id", text).map(|()| BatchId(text.to_owned()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl LoadId {
    /// Parses a load id.
    pub fn new(text: &str) -> Result<LoadId, LedgerError> {
        check("load id", text).map(|()| LoadId(text.to_owned()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for BatchId {
    type Error = LedgerError;

    fn try_from(text: String) -> Result<BatchId, LedgerError> {
        check("batch id", &text).map(|()| BatchId(text))
    }
}

impl TryFrom<String> for LoadId {
    type Error = LedgerError;

    fn try_from(text: String) -> Result<LoadId, LedgerError> {
        check("load id", &text).map(|()| LoadId(text))
    }
}

impl From<BatchId> for String {
    fn from(id: BatchId) -> String {
        id.0
    }
}

impl From<LoadId> for String {
    fn from(id: LoadId) -> String {
        id.0
    }
}

impl fmt::Display for BatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for LoadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_short_and_printable() {
        assert!(BatchId::new("2026-11-27/T0001:batch_7.a").is_ok());
        assert!(BatchId::new(&"x".repeat(REFERENCE_BYTES_MAX)).is_ok());
        for bad in ["", "a,b", "a b", "\"", "批次", "a\n"] {
            assert!(matches!(
                BatchId::new(bad),
                Err(LedgerError::BadReference {
                    what: "batch id",
                    ..
                })
            ));
        }
        assert_eq!(
            LoadId::new(&"y".repeat(REFERENCE_BYTES_MAX + 1)),
            Err(LedgerError::BadReference {
                what: "load id",
                text: "y".repeat(REFERENCE_BYTES_MAX),
                length: REFERENCE_BYTES_MAX + 1
            })
        );
    }
}
