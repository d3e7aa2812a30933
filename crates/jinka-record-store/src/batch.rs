//! Batches: committed records grouped for upload under a stable id.

use core::fmt;
use core::str::FromStr;

use jinka_record::TransactionRecord;

use crate::error::StoreError;

/// A record's place in its store: 0 for the first record ever committed, then one more for
/// each. Never reused, also across compaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(pub u64);

/// A batch's id: the store's terminal id and the batch's sequence number in that store,
/// written `T112233445566-000042` (sequence zero-padded to at least six digits). The hub
/// deduplicates uploads by it, so one id always names the same records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BatchId {
    terminal_id: [u8; 6],
    sequence: u64,
}

impl BatchId {
    /// The id of batch `sequence` (from 1) of the store of `terminal_id`.
    pub const fn new(terminal_id: [u8; 6], sequence: u64) -> BatchId {
        BatchId {
            terminal_id,
            sequence,
        }
    }

    /// The terminal whose store sealed the batch.
    pub const fn terminal_id(&self) -> [u8; 6] {
        self.terminal_id
    }

    /// The batch's sequence number in its store, from 1.
    pub const fn sequence(&self) -> u64 {
        self.sequence
    }
}

impl fmt::Display for BatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("T")?;
        for byte in self.terminal_id {
            write!(f, "{byte:02X}")?;
        }
        write!(f, "-{:06}", self.sequence)
    }
}

/// Parses the form [`BatchId`]'s `Display` writes, and only that form (upper-case hex, no
/// extra leading zeros), so that one batch has one spelling.
impl FromStr for BatchId {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<BatchId, StoreError> {
        let malformed = || StoreError::MalformedBatchId {
            text: text.chars().take(40).collect(),
        };
        let (terminal, sequence) = text
            .strip_prefix('T')
            .and_then(|rest| rest.split_once('-'))
            .ok_or_else(malformed)?;
        if terminal.len() != 12 || !sequence.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(malformed());
        }
        let mut terminal_id = [0u8; 6];
        for (out, pair) in terminal_id
            .iter_mut()
            .zip(terminal.as_bytes().chunks_exact(2))
        {
            let pair = core::str::from_utf8(pair).map_err(|_| malformed())?;
            *out = u8::from_str_radix(pair, 16).map_err(|_| malformed())?;
        }
        let id = BatchId {
            terminal_id,
            sequence: sequence.parse().map_err(|_| malformed())?,
        };
        if id.to_string() != text {
            return Err(malformed());
        }
        Ok(id)
    }
}

/// A sealed batch: its id and its records, oldest first, with consecutive ids from
/// `first_record`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// The batch id to upload it under.
    pub id: BatchId,
    /// The id of its first record.
    pub first_record: RecordId,
    /// Its records.
    pub records: Vec<TransactionRecord>,
}

/// What [`crate::RecordStore::acknowledge`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acknowledgement {
    /// The batch is now durably marked uploaded.
    Recorded,
    /// It already was (a late or repeated answer): nothing changed.
    AlreadyRecorded,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_and_parse_one_way() {
        let id = BatchId::new([0x11, 0x22, 0x33, 0x44, 0x55, 0x66], 42);
        assert_eq!(id.to_string(), "T112233445566-000042");
        assert_eq!("T112233445566-000042".parse::<BatchId>().unwrap(), id);
        let long = BatchId::new([0xAB; 6], 12_345_678);
        assert_eq!(long.to_string(), "TABABABABABAB-12345678");
        assert_eq!(long.to_string().parse::<BatchId>().unwrap(), long);
        for text in [
            "",
            "T",
            "T112233445566",
            "T112233445566-",
            "T112233445566-42",
            "T112233445566-0000042",
            "t112233445566-000042",
            "T1122334455-000042",
            "T11223344556G-000042",
            "Tabcdef012345-000042",
            "T112233445566-+00042",
            "T11223344556é-000042",
            "T112233445566-99999999999999999999999",
        ] {
            assert!(
                matches!(
                    text.parse::<BatchId>(),
                    Err(StoreError::MalformedBatchId { .. })
                ),
                "{text:?}"
            );
        }
    }
}
