//! The compact binary form of a record: fixed size, every integer big-endian, versioned by its
//! first byte. The record store frames these; a bulk upload can carry them as they are.
//!
//! Version 1, [`RECORD_BYTES`] = 51 bytes:
//!
//! | offset | bytes | field |
//! |---:|---:|---|
//! | 0 | 1 | format version, `01` |
//! | 1 | 8 | ASN8 |
//! | 9 | 8 | issuer id |
//! | 17 | 1 | transaction type: `02` load, `06` purchase, `09` compound purchase |
//! | 18 | 4 | amount, fen |
//! | 22 | 4 | balance before, fen |
//! | 26 | 2 | ATC the transaction used |
//! | 28 | 6 | terminal id |
//! | 34 | 4 | terminal serial (`00000000` for a load, which has none) |
//! | 38 | 4 | date, BCD `YYYYMMDD` |
//! | 42 | 3 | time, BCD `HHMMSS` |
//! | 45 | 1 | key version |
//! | 46 | 1 | algorithm id |
//! | 47 | 4 | TAC |
//!
//! The form is canonical: decoding checks every field as [`TransactionRecord::new`] does and
//! refuses a load whose serial bytes are not zero, so `encode(decode(b)) == b` whenever decode
//! succeeds.

use crate::date_time::{Date, Time};
use crate::error::RecordError;
use crate::kind::TransactionKind;
use crate::record::{RecordFields, TransactionRecord};

/// The format version [`TransactionRecord::encode`] writes and the only one `decode` reads.
pub const RECORD_FORMAT_VERSION: u8 = 1;
/// Bytes of a record in binary form, format version 1.
pub const RECORD_BYTES: usize = 51;

/// Takes fixed-size fields off the front of a slice; running out is a length error.
struct Reader<'a> {
    rest: &'a [u8],
    length: RecordError,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], RecordError> {
        let (field, rest) = self
            .rest
            .split_first_chunk::<N>()
            .ok_or_else(|| self.length.clone())?;
        self.rest = rest;
        Ok(*field)
    }
}

/// Appends fields to a fixed-size buffer.
struct Writer {
    bytes: [u8; RECORD_BYTES],
    at: usize,
}

impl Writer {
    fn put(&mut self, field: &[u8]) {
        let end = self.at + field.len();
        self.bytes[self.at..end].copy_from_slice(field);
        self.at = end;
    }
}

impl TransactionRecord {
    /// The binary form (format version [`RECORD_FORMAT_VERSION`], layout in the module docs).
    pub fn encode(&self) -> [u8; RECORD_BYTES] {
        let fields = self.fields();
        let mut out = Writer {
            bytes: [0; RECORD_BYTES],
            at: 0,
        };
        out.put(&[RECORD_FORMAT_VERSION]);
        out.put(&fields.asn);
        out.put(&fields.issuer_id);
        out.put(&[fields.kind.code()]);
        out.put(&fields.amount_fen.to_be_bytes());
        out.put(&fields.balance_before_fen.to_be_bytes());
        out.put(&fields.atc.to_be_bytes());
        out.put(&fields.terminal_id);
        out.put(&fields.terminal_serial.unwrap_or(0).to_be_bytes());
        out.put(&fields.date.bcd());
        out.put(&fields.time.bcd());
        out.put(&[fields.key_version, fields.algorithm_id]);
        out.put(&fields.tac);
        debug_assert_eq!(out.at, RECORD_BYTES);
        out.bytes
    }

    /// Parses the binary form; any bytes give a record or a [`RecordError`], never a panic.
    pub fn decode(bytes: &[u8]) -> Result<TransactionRecord, RecordError> {
        let length = |version| RecordError::Length {
            version,
            expected: RECORD_BYTES,
            found: bytes.len(),
        };
        let Some((&version, body)) = bytes.split_first() else {
            return Err(length(RECORD_FORMAT_VERSION));
        };
        if version != RECORD_FORMAT_VERSION {
            return Err(RecordError::UnsupportedVersion(version));
        }
        if bytes.len() != RECORD_BYTES {
            return Err(length(version));
        }
        read_fields(&mut Reader {
            rest: body,
            length: length(version),
        })
    }
}

/// Reads and checks the fields after the version byte, in layout order.
fn read_fields(input: &mut Reader<'_>) -> Result<TransactionRecord, RecordError> {
    let asn = input.take()?;
    let issuer_id = input.take()?;
    let [kind] = input.take()?;
    let kind = TransactionKind::try_from(kind)?;
    let amount_fen = u32::from_be_bytes(input.take()?);
    let balance_before_fen = u32::from_be_bytes(input.take()?);
    let atc = u16::from_be_bytes(input.take()?);
    let terminal_id = input.take()?;
    let terminal_serial = match (kind.is_purchase(), u32::from_be_bytes(input.take()?)) {
        (true, serial) => Some(serial),
        (false, 0) => None,
        (false, _) => return Err(RecordError::TerminalSerialOnLoad),
    };
    let date = Date::from_bcd(input.take()?)?;
    let time = Time::from_bcd(input.take()?)?;
    let [key_version, algorithm_id] = input.take()?;
    let tac = input.take()?;
    TransactionRecord::new(RecordFields {
        asn,
        issuer_id,
        kind,
        amount_fen,
        balance_before_fen,
        atc,
        terminal_id,
        terminal_serial,
        date,
        time,
        key_version,
        algorithm_id,
        tac,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::tests::purchase;

    #[test]
    fn layout_matches_the_module_docs() {
        let record = TransactionRecord::new(purchase()).unwrap();
        let expected = concat!(
            "01",
            "0000000000000001",
            "3104000000000001",
            "06",
            "000000C8",
            "00002710",
            "0000",
            "112233445566",
            "00000001",
            "20261127",
            "083000",
            "01",
            "04",
            "D41CCE81"
        );
        assert_eq!(hex::encode_upper(record.encode()), expected);
        assert_eq!(
            TransactionRecord::decode(&hex::decode(expected).unwrap()),
            Ok(record)
        );
    }

    #[test]
    fn each_malformed_field_gives_its_error() {
        let good = TransactionRecord::new(purchase()).unwrap().encode();
        let with = |offset: usize, value: u8| {
            let mut bytes = good;
            bytes[offset] = value;
            TransactionRecord::decode(&bytes)
        };
        assert_eq!(with(0, 2), Err(RecordError::UnsupportedVersion(2)));
        assert_eq!(with(17, 0x07), Err(RecordError::UnknownType(0x07)));
        assert_eq!(
            with(40, 0x13),
            Err(RecordError::Date([0x20, 0x26, 0x13, 0x27]))
        );
        assert_eq!(with(42, 0x24), Err(RecordError::Time([0x24, 0x30, 0x00])));
        // A load keeps serial bytes zero.
        assert_eq!(with(17, 0x02), Err(RecordError::TerminalSerialOnLoad));
        assert!(matches!(
            TransactionRecord::decode(&good[..50]),
            Err(RecordError::Length {
                expected: 51,
                found: 50,
                ..
            })
        ));
        assert!(matches!(
            TransactionRecord::decode(&[]),
            Err(RecordError::Length { found: 0, .. })
        ));
    }
}
