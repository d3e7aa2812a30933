//! The bytes a TAC covers, without allocating.

/// Bytes a purchase's TAC covers: amount(4) type(1) terminal-id(6) terminal-serial(4) date(4)
/// time(3).
pub const TAC_INPUT_PURCHASE_BYTES: usize = 22;
/// Bytes a load's TAC covers: new-balance(4) online-ATC(2) amount(4) type(1) terminal-id(6)
/// date(4) time(3).
pub const TAC_INPUT_LOAD_BYTES: usize = 24;

/// The exact bytes a record's TAC is the MAC of (see [`crate::TransactionRecord::tac_input`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TacInput {
    bytes: [u8; TAC_INPUT_LOAD_BYTES],
    len: usize,
}

impl TacInput {
    /// Concatenates `parts`; the callers in this crate pass 22 or 24 bytes in all.
    pub(crate) fn from_parts(parts: &[&[u8]]) -> TacInput {
        let mut input = TacInput {
            bytes: [0; TAC_INPUT_LOAD_BYTES],
            len: 0,
        };
        for part in parts {
            let end = input.len + part.len();
            assert!(end <= TAC_INPUT_LOAD_BYTES, "TAC input is at most 24 bytes");
            input.bytes[input.len..end].copy_from_slice(part);
            input.len = end;
        }
        input
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl AsRef<[u8]> for TacInput {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}
