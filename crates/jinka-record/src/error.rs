//! Why bytes or fields are not a transaction record.

/// Why a record was refused. Every variant means "reject the input": the record is malformed
/// (the hub's `malformed` reason); none is worth retrying.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The binary form has the wrong length.
    #[error("a record of format version {version} is {expected} bytes, not {found}")]
    Length {
        /// The format version read (or the current one when the input was empty).
        version: u8,
        /// The length of that version.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// The binary form is of a version this build does not read.
    #[error("record format version {0} is not supported")]
    UnsupportedVersion(u8),
    /// The transaction type byte is not one a record may carry.
    #[error("transaction type {0:02X} is not a purchase (06), compound purchase (09) or load (02)")]
    UnknownType(u8),
    /// The date is not BCD `YYYYMMDD` of a real day.
    #[error("date {} is not a BCD YYYYMMDD date", hex::encode_upper(.0))]
    Date([u8; 4]),
    /// The time is not BCD `HHMMSS` of a real time of day.
    #[error("time {} is not a BCD HHMMSS time", hex::encode_upper(.0))]
    Time([u8; 3]),
    /// A purchase without a terminal serial (its TAC covers one).
    #[error("a purchase record needs its terminal serial")]
    MissingTerminalSerial,
    /// A load with a terminal serial: a load has none on the card side.
    #[error("a load record has no terminal serial")]
    TerminalSerialOnLoad,
    /// A load whose new balance (balance before + amount) does not fit the 4 bytes its TAC
    /// covers.
    #[error("load of {amount_fen} fen on a balance of {balance_before_fen} fen overflows 4 bytes")]
    BalanceOverflow {
        /// The balance before the load.
        balance_before_fen: u32,
        /// The amount loaded.
        amount_fen: u32,
    },
    /// A JSON field that should be upper- or lower-case hex of a fixed length is not.
    #[error("field `{field}` must be {bytes} bytes of hex")]
    Hex {
        /// The field.
        field: &'static str,
        /// Its length in bytes.
        bytes: usize,
    },
}
