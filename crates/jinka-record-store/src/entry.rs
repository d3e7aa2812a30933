//! Entries: what a frame's payload says. The first byte names the kind; integers are
//! big-endian.
//!
//! | kind | entry | payload after the kind byte |
//! |---|---|---|
//! | `00` | header (first frame only) | magic `JINKA-RECORD-LOG`(16) format version(1) terminal id(6) first record id(8) first batch sequence(8) |
//! | `01` | records (one commit) | count(2), then `count` records in the 51-byte binary form of `jinka-record` |
//! | `02` | seal | batch sequence(8) first record id(8) record count(4) |
//! | `03` | acknowledge | batch sequence(8) |

use jinka_record::{RECORD_BYTES, TransactionRecord};

use crate::COMMIT_RECORDS_MAX;

/// Opens the payload of the header entry.
pub const LOG_MAGIC: &[u8; 16] = b"JINKA-RECORD-LOG";
/// The log format version this code writes and reads.
pub const LOG_FORMAT_VERSION: u8 = 1;

/// The largest seal or acknowledgement payload.
pub const SMALL_ENTRY_BYTES_MAX: usize = 1 + 8 + 8 + 4;

const KIND_HEADER: u8 = 0x00;
const KIND_RECORDS: u8 = 0x01;
const KIND_SEAL: u8 = 0x02;
const KIND_ACKNOWLEDGE: u8 = 0x03;

/// One entry of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Names the log's terminal and where its record ids and batch sequences start (after a
    /// compaction, past those it dropped).
    Header {
        /// The terminal whose batches these are.
        terminal_id: [u8; 6],
        /// Id of the first record in this log.
        first_record: u64,
        /// Sequence of the first batch in this log.
        first_sequence: u64,
    },
    /// Records committed together.
    Records(Vec<TransactionRecord>),
    /// The records `first_record .. first_record + count` form batch `sequence`.
    Seal {
        /// Batch sequence number.
        sequence: u64,
        /// Id of its first record.
        first_record: u64,
        /// How many records.
        count: u32,
    },
    /// Batch `sequence` was uploaded and acknowledged.
    Acknowledge {
        /// Batch sequence number.
        sequence: u64,
    },
}

/// Writes a records entry's payload for `records` (1..=[`COMMIT_RECORDS_MAX`]) to `out`,
/// without building an [`Entry`]: the commit path.
pub fn write_records(records: &[TransactionRecord], out: &mut Vec<u8>) {
    assert!(
        (1..=COMMIT_RECORDS_MAX).contains(&records.len()),
        "a records entry holds 1..={COMMIT_RECORDS_MAX} records"
    );
    let count = u16::try_from(records.len()).expect("bounded by COMMIT_RECORDS_MAX");
    out.reserve(3 + records.len() * RECORD_BYTES);
    out.push(KIND_RECORDS);
    out.extend_from_slice(&count.to_be_bytes());
    for record in records {
        out.extend_from_slice(&record.encode());
    }
}

impl Entry {
    /// Writes the entry's payload to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            Entry::Header {
                terminal_id,
                first_record,
                first_sequence,
            } => {
                out.push(KIND_HEADER);
                out.extend_from_slice(LOG_MAGIC);
                out.push(LOG_FORMAT_VERSION);
                out.extend_from_slice(terminal_id);
                out.extend_from_slice(&first_record.to_be_bytes());
                out.extend_from_slice(&first_sequence.to_be_bytes());
            }
            Entry::Records(records) => write_records(records, out),
            Entry::Seal {
                sequence,
                first_record,
                count,
            } => {
                out.push(KIND_SEAL);
                out.extend_from_slice(&sequence.to_be_bytes());
                out.extend_from_slice(&first_record.to_be_bytes());
                out.extend_from_slice(&count.to_be_bytes());
            }
            Entry::Acknowledge { sequence } => {
                out.push(KIND_ACKNOWLEDGE);
                out.extend_from_slice(&sequence.to_be_bytes());
            }
        }
    }

    /// Parses a payload whose checksum verified. An error is a reason for
    /// [`crate::StoreError::Corrupt`]: a valid frame that no version of this code wrote.
    pub fn read(payload: &[u8]) -> Result<Entry, &'static str> {
        let mut input = Reader(payload);
        let entry = match input.take::<1>()? {
            [KIND_HEADER] => read_header(&mut input)?,
            [KIND_RECORDS] => read_records(&mut input)?,
            [KIND_SEAL] => Entry::Seal {
                sequence: u64::from_be_bytes(input.take()?),
                first_record: u64::from_be_bytes(input.take()?),
                count: u32::from_be_bytes(input.take()?),
            },
            [KIND_ACKNOWLEDGE] => Entry::Acknowledge {
                sequence: u64::from_be_bytes(input.take()?),
            },
            _ => return Err("unknown entry kind"),
        };
        if !input.0.is_empty() {
            return Err("entry longer than its kind");
        }
        Ok(entry)
    }
}

fn read_header(input: &mut Reader<'_>) -> Result<Entry, &'static str> {
    if input.take::<16>()? != *LOG_MAGIC {
        return Err("not a jinka record log");
    }
    if input.take::<1>()? != [LOG_FORMAT_VERSION] {
        return Err("record log format version not supported");
    }
    Ok(Entry::Header {
        terminal_id: input.take()?,
        first_record: u64::from_be_bytes(input.take()?),
        first_sequence: u64::from_be_bytes(input.take()?),
    })
}

fn read_records(input: &mut Reader<'_>) -> Result<Entry, &'static str> {
    let count = usize::from(u16::from_be_bytes(input.take()?));
    if !(1..=COMMIT_RECORDS_MAX).contains(&count) || input.0.len() != count * RECORD_BYTES {
        return Err("records entry of the wrong length");
    }
    let records = input
        .0
        .chunks_exact(RECORD_BYTES)
        .map(TransactionRecord::decode)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| "a record does not decode")?;
    input.0 = &[];
    Ok(Entry::Records(records))
}

/// Takes fixed-size fields off the front of a payload.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], &'static str> {
        let (field, rest) = self
            .0
            .split_first_chunk::<N>()
            .ok_or("entry shorter than its kind")?;
        self.0 = rest;
        Ok(*field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jinka_record::{Date, RecordFields, Time, TransactionKind};

    pub(crate) fn record(atc: u16) -> TransactionRecord {
        TransactionRecord::new(RecordFields {
            asn: [0, 0, 0, 0, 0, 0, 0, 1],
            issuer_id: [0x31, 0x04, 0, 0, 0, 0, 0, 1],
            kind: TransactionKind::Purchase,
            amount_fen: 200,
            balance_before_fen: 10_000,
            atc,
            terminal_id: [0x11, 0x22, 0x33, 0x44, 0x55, 0x66],
            terminal_serial: Some(u32::from(atc) + 1),
            date: Date::from_ymd(2026, 11, 27).expect("date"),
            time: Time::from_hms(8, 30, 0).expect("time"),
            key_version: 1,
            algorithm_id: 4,
            tac: [0xD4, 0x1C, 0xCE, 0x81],
        })
        .expect("record")
    }

    #[test]
    fn entries_round_trip() {
        for entry in [
            Entry::Header {
                terminal_id: [1, 2, 3, 4, 5, 6],
                first_record: 7,
                first_sequence: 1,
            },
            Entry::Records(vec![record(0), record(1), record(2)]),
            Entry::Seal {
                sequence: 3,
                first_record: 9,
                count: 70_000,
            },
            Entry::Acknowledge { sequence: 3 },
        ] {
            let mut payload = Vec::new();
            entry.write(&mut payload);
            assert_eq!(Entry::read(&payload), Ok(entry.clone()));
            payload.push(0);
            let longer = Entry::read(&payload);
            assert!(
                longer == Err("entry longer than its kind")
                    || longer == Err("records entry of the wrong length"),
                "{longer:?}"
            );
        }
    }

    #[test]
    fn foreign_payloads_are_refused() {
        assert_eq!(Entry::read(&[]), Err("entry shorter than its kind"));
        assert_eq!(Entry::read(&[9]), Err("unknown entry kind"));
        let mut header = vec![KIND_HEADER];
        header.extend_from_slice(b"SOMETHING-ELSE!!");
        header.extend_from_slice(&[1; 23]);
        assert_eq!(Entry::read(&header), Err("not a jinka record log"));
        header[1..17].copy_from_slice(LOG_MAGIC);
        header[17] = 2;
        assert_eq!(
            Entry::read(&header),
            Err("record log format version not supported")
        );
        let mut records = Vec::new();
        write_records(&[record(0)], &mut records);
        records[3 + 17] = 0x07; // the record's type byte
        assert_eq!(Entry::read(&records), Err("a record does not decode"));
        assert_eq!(
            Entry::read(&[KIND_RECORDS, 0, 0]),
            Err("records entry of the wrong length")
        );
    }
}
