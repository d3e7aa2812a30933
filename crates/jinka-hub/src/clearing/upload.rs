//! An acquirer's batch as uploaded, read at the edge into what the decisions take: a checked
//! batch id, one [`UploadedRecord`] per record (a record that cannot be read is kept as what
//! was sent, to be rejected `malformed`), and the digest that tells a re-upload of the same
//! records from a reused batch id.
//!
//! Two forms carry a batch: JSON (`{"batch_id", "records": [record JSON, ...]}`) and the
//! compact bulk body: 1 byte, the batch id's length; the batch id (ASCII); then the records
//! in `jinka-record`'s 51-byte binary form, back to back. The digest is over the records in
//! binary form, so the same batch sent either way has the same digest (unless it holds a
//! record neither form could read).

use jinka_clearing::{BATCH_RECORDS_MAX, UploadedRecord};
use jinka_record::{RECORD_BYTES, RECORD_FORMAT_VERSION, RecordError, TransactionRecord};
use serde::Deserialize;
use sm3::{Digest, Sm3};

use crate::error::HubError;
use crate::participant::ParticipantId;

/// The longest batch id, in bytes.
pub const BATCH_ID_BYTES_MAX: usize = jinka_ledger::REFERENCE_BYTES_MAX;

/// What was sent for a record that could not be read, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Unreadable {
    pub(crate) index: u32,
    pub(crate) bytes: Vec<u8>,
    pub(crate) detail: String,
}

/// A batch ready to decide.
#[derive(Debug)]
pub(crate) struct Upload {
    pub(crate) acquirer: ParticipantId,
    pub(crate) id: jinka_clearing::BatchId,
    pub(crate) ledger_id: jinka_ledger::BatchId,
    pub(crate) records: Vec<UploadedRecord>,
    /// The records that could not be read, in index order.
    pub(crate) unreadable: Vec<Unreadable>,
    pub(crate) digest: [u8; 32],
}

/// Parses a batch id: 1 to [`BATCH_ID_BYTES_MAX`] ASCII letters, digits and `-_.:/` (what
/// both the decisions and the ledger's reports take).
pub(crate) fn parse_batch_id(
    text: &str,
) -> Result<(jinka_clearing::BatchId, jinka_ledger::BatchId), HubError> {
    let invalid = || {
        HubError::invalid(
            "batch_id",
            format!("must be 1 to {BATCH_ID_BYTES_MAX} ASCII letters, digits and -_.:/"),
        )
    };
    let ledger_id = jinka_ledger::BatchId::new(text).map_err(|_| invalid())?;
    let id = jinka_clearing::BatchId::new(text).map_err(|_| invalid())?;
    Ok((id, ledger_id))
}

/// The error the decisions get for a JSON element that is not a record. They read only
/// that it is one (`malformed`); what is stored with the rejection is serde's message.
const fn unreadable_json() -> RecordError {
    RecordError::Length {
        version: RECORD_FORMAT_VERSION,
        expected: RECORD_BYTES,
        found: 0,
    }
}

fn check_count(records: usize) -> Result<(), HubError> {
    if records == 0 {
        return Err(HubError::invalid(
            "records",
            "a batch holds at least one record",
        ));
    }
    if records > BATCH_RECORDS_MAX {
        return Err(HubError::invalid(
            "records",
            format!("a batch holds at most {BATCH_RECORDS_MAX} records"),
        ));
    }
    Ok(())
}

impl Upload {
    fn new(
        acquirer: ParticipantId,
        (id, ledger_id): (jinka_clearing::BatchId, jinka_ledger::BatchId),
        records: Vec<UploadedRecord>,
        unreadable: Vec<Unreadable>,
    ) -> Upload {
        let digest = digest(&records, &unreadable);
        Upload {
            acquirer,
            id,
            ledger_id,
            records,
            unreadable,
            digest,
        }
    }

    /// A JSON batch: each element of `records` a record's JSON form.
    pub(crate) fn from_json(
        acquirer: ParticipantId,
        batch_id: &str,
        records: &[serde_json::Value],
    ) -> Result<Upload, HubError> {
        let ids = parse_batch_id(batch_id)?;
        check_count(records.len())?;
        let mut unreadable = Vec::new();
        let mut uploaded = Vec::with_capacity(records.len());
        for (index, value) in (0u32..).zip(records) {
            match TransactionRecord::deserialize(value) {
                Ok(record) => uploaded.push(Ok(record)),
                Err(error) => {
                    unreadable.push(Unreadable {
                        index,
                        bytes: value.to_string().into_bytes(),
                        detail: error.to_string(),
                    });
                    uploaded.push(Err(unreadable_json()));
                }
            }
        }
        Ok(Upload::new(acquirer, ids, uploaded, unreadable))
    }

    /// A bulk body (layout in the module docs).
    pub(crate) fn from_bulk(acquirer: ParticipantId, body: &[u8]) -> Result<Upload, HubError> {
        let bad = |reason: &str| HubError::invalid("body", reason.to_owned());
        let (&length, rest) = body
            .split_first()
            .ok_or_else(|| bad("empty: it starts with the batch id's length"))?;
        let id_bytes = rest
            .get(..usize::from(length))
            .ok_or_else(|| bad("shorter than its batch id"))?;
        let ids = std::str::from_utf8(id_bytes)
            .map_err(|_| HubError::invalid("batch_id", "must be ASCII"))
            .and_then(parse_batch_id)?;
        let records = rest.get(usize::from(length)..).unwrap_or_default();
        if !records.len().is_multiple_of(RECORD_BYTES) {
            return Err(bad(&format!(
                "the records are not a whole number of {RECORD_BYTES}-byte records"
            )));
        }
        check_count(records.len() / RECORD_BYTES)?;
        let mut unreadable = Vec::new();
        let mut uploaded = Vec::with_capacity(records.len() / RECORD_BYTES);
        for (index, chunk) in (0u32..).zip(records.chunks_exact(RECORD_BYTES)) {
            let decoded = TransactionRecord::decode(chunk);
            if let Err(error) = &decoded {
                unreadable.push(Unreadable {
                    index,
                    bytes: chunk.to_vec(),
                    detail: error.to_string(),
                });
            }
            uploaded.push(decoded);
        }
        Ok(Upload::new(acquirer, ids, uploaded, unreadable))
    }
}

/// SM3 over the records: each readable one as `00` ‖ its binary form, each unreadable one
/// as `01` ‖ its length (4 bytes) ‖ what was sent.
fn digest(records: &[UploadedRecord], unreadable: &[Unreadable]) -> [u8; 32] {
    let mut hasher = Sm3::new();
    hasher.update(b"jinka-batch-records-1");
    let mut unreadable = unreadable.iter();
    for record in records {
        match record {
            Ok(record) => {
                hasher.update([0u8]);
                hasher.update(record.encode());
            }
            Err(_) => {
                let sent = unreadable.next().map_or(&[][..], |u| u.bytes.as_slice());
                hasher.update([1u8]);
                hasher.update(u32::try_from(sent.len()).unwrap_or(u32::MAX).to_be_bytes());
                hasher.update(sent);
            }
        }
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acquirer() -> ParticipantId {
        ParticipantId::new(2).unwrap()
    }

    #[test]
    fn bulk_bodies_are_checked() {
        for (body, field) in [
            (&b""[..], "`body`"),
            (&b"\x05ab"[..], "`body`"),
            (&b"\x02b1\x00"[..], "`body`"),
            (&b"\x02b1"[..], "`records`"),
            (&b"\x02b 1"[..], "`batch_id`"),
            (&b"\x00"[..], "`batch_id`"),
        ] {
            let error = Upload::from_bulk(acquirer(), body).unwrap_err().to_string();
            assert!(error.starts_with(field), "{body:?}: {error}");
        }
        let mut body = b"\x02b1".to_vec();
        body.extend_from_slice(&[0u8; RECORD_BYTES]);
        let upload = Upload::from_bulk(acquirer(), &body).unwrap();
        assert_eq!(upload.records.len(), 1);
        assert!(upload.records[0].is_err());
        assert_eq!(upload.unreadable[0].bytes, vec![0u8; RECORD_BYTES]);
    }

    #[test]
    fn batch_ids_take_what_reports_can_print() {
        assert!(parse_batch_id("T0000000020001-000001").is_ok());
        assert!(parse_batch_id(&"x".repeat(BATCH_ID_BYTES_MAX)).is_ok());
        for bad in ["", "a,b", "a b", "批", &"x".repeat(BATCH_ID_BYTES_MAX + 1)] {
            assert!(parse_batch_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_digest_changes_with_the_records() {
        let values = [serde_json::json!({"not": "a record"})];
        let one = Upload::from_json(acquirer(), "b", &values).unwrap();
        let again = Upload::from_json(acquirer(), "other", &values).unwrap();
        assert_eq!(one.digest, again.digest);
        let values = [serde_json::json!({"not": "a record either"})];
        let other = Upload::from_json(acquirer(), "b", &values).unwrap();
        assert_ne!(one.digest, other.digest);
        assert!(one.unreadable[0].detail.contains("unknown field"));
    }
}
