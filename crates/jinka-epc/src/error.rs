//! The one error type of the crate.
//!
//! This crate is a pure codec: every error means "reject this input" and none is worth a retry.
//! Variants are grouped by the representation whose input they reject.

use crate::scheme::Scheme;

/// The field of an EPC that an [`Error`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// The 3-bit filter value.
    Filter,
    /// The GS1 Company Prefix.
    CompanyPrefix,
    /// The SGTIN item reference, indicator digit first.
    ItemReference,
    /// The SSCC serial reference, extension digit first.
    SerialReference,
    /// The SGTIN-96 serial number.
    Serial,
    /// The GTIN-14 of a GS1 Digital Link.
    Gtin,
    /// The SSCC-18 of a GS1 Digital Link.
    Sscc,
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Field::Filter => "filter",
            Field::CompanyPrefix => "company prefix",
            Field::ItemReference => "item reference",
            Field::SerialReference => "serial reference",
            Field::Serial => "serial",
            Field::Gtin => "GTIN-14",
            Field::Sscc => "SSCC-18",
        })
    }
}

/// Why an input is not a valid EPC (or not one this crate encodes).
///
/// Messages never quote the input, so an error stays short whatever it was given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // Values out of range, from any representation.
    /// A filter value above 7.
    #[error("filter value {value} is out of range 0..=7")]
    FilterOutOfRange { value: u8 },
    /// A value that does not fit the decimal digits its partition gives it (TDS: the decoded
    /// integer must be less than 10^D).
    #[error("{field} value {value} does not fit in {digits} decimal digits")]
    DigitsOverflow {
        field: Field,
        value: u64,
        digits: u8,
    },
    /// An SGTIN-96 serial of 2^38 or more.
    #[error("serial {value} does not fit in 38 bits (at most 274877906943)")]
    SerialTooLarge { value: u64 },

    // Binary and hex.
    /// Binary input that is not 12 bytes (96 bits).
    #[error("binary EPC has {actual} bytes, expected 12")]
    ByteLength { actual: usize },
    /// Hex input that is not 24 bytes long.
    #[error("hex EPC has {actual} bytes, expected 24 hex digits")]
    HexLength { actual: usize },
    /// Hex input with a character that is not a hex digit.
    #[error("hex EPC has a non-hex character at byte {position}")]
    NonHex { position: usize },
    /// A header that is neither SGTIN-96 (0x30) nor SSCC-96 (0x31).
    #[error("header 0x{found:02X} is neither SGTIN-96 (0x30) nor SSCC-96 (0x31)")]
    Header { found: u8 },
    /// A partition value that the partition table does not define (7 is reserved).
    #[error("partition value {value} is reserved (defined: 0..=6)")]
    ReservedPartition { value: u8 },
    /// SSCC-96 bits that the TDS leaves unallocated and writes as zero, found not zero.
    #[error("unallocated bits of SSCC-96 are 0x{value:06X}, expected zero")]
    UnallocatedBits { value: u64 },

    // Any representation that names its scheme.
    /// A valid-looking EPC of the other scheme.
    #[error("expected {expected}, found {found}")]
    Scheme { expected: Scheme, found: Scheme },

    // Text fields of URIs and Digital Links.
    /// A URI or Digital Link longer than [`URI_BYTES_MAX`](crate::URI_BYTES_MAX).
    #[error("URI has {actual} bytes, more than the {max} allowed")]
    UriTooLong { actual: usize, max: usize },
    /// A URI that does not start as expected.
    #[error("URI does not start with {expected}")]
    UriPrefix { expected: &'static str },
    /// An EPC URI with the wrong number of dot-separated fields.
    #[error("EPC URI has {found} dot-separated fields, expected {expected}")]
    UriFieldCount { expected: usize, found: usize },
    /// A Digital Link whose path is not the one this crate reads.
    #[error("Digital Link path is not {expected}")]
    DigitalLinkPath { expected: &'static str },
    /// A field with a character that is not an ASCII decimal digit.
    #[error("{field} has a character that is not a decimal digit")]
    NonDigit { field: Field },
    /// A field with the wrong count of digits (leading zeros count).
    #[error("{field} has {actual} digits, expected {min}..={max}")]
    DigitCount {
        field: Field,
        actual: usize,
        min: usize,
        max: usize,
    },
    /// An SGTIN-96 serial written with a leading zero (TDS: such a serial is not encodable).
    #[error("serial has a leading zero")]
    SerialLeadingZero,
    /// A GS1 key whose mod-10 check digit does not match its other digits.
    #[error("{field} check digit is {found}, expected {expected}")]
    CheckDigit {
        field: Field,
        expected: u8,
        found: u8,
    },
}

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
