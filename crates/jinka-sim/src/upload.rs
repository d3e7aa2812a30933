//! Batches as terminals upload them: formed from a terminal's journal (and the clean copies of
//! records corrupted in transit), put on the wire in the hub's bulk form (with the corrupt
//! fault applied to the wire copy only), and the hub's answer read back.

use jinka_record::{RecordFields, Time, TransactionRecord};
use serde::Deserialize;

use crate::journal::RecordTag;
use crate::rng::SimRng;

/// Most records one simulated batch holds (the hub takes up to
/// `jinka_clearing::BATCH_RECORDS_MAX`).
pub const BATCH_RECORDS_SIM_MAX: usize = jinka_clearing::BATCH_RECORDS_MAX;

/// A batch a terminal formed.
#[derive(Clone, Debug)]
pub struct Batch {
    /// The batch id: the terminal id and a sequence number.
    pub id: String,
    /// Its records.
    pub records: Vec<TransactionRecord>,
    /// What the simulation knows of each.
    pub tags: Vec<RecordTag>,
    /// Which are clean copies of records corrupted in an earlier upload.
    pub resent: Vec<bool>,
    /// The terminal (index in the world) each record comes from.
    pub terminals: Vec<u32>,
    /// The day it was formed.
    pub formed_day: u32,
}

/// The hub's answer to an upload.
#[derive(Clone, Debug, Deserialize)]
pub struct Answer {
    /// The batch id.
    pub batch_id: String,
    /// One decision per record.
    pub decisions: Vec<DecisionWire>,
}

/// One decision.
#[derive(Clone, Debug, Deserialize)]
pub struct DecisionWire {
    /// The record's index.
    pub index: u32,
    /// `accepted` or `rejected`.
    pub decision: String,
    /// The reject reason.
    #[serde(default)]
    pub reason: Option<String>,
    /// Flags of an accepted record.
    pub flags: Vec<String>,
}

impl DecisionWire {
    /// Whether it was accepted.
    pub fn accepted(&self) -> bool {
        self.decision == "accepted"
    }

    /// Whether it carries `flag`.
    pub fn flagged(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    /// `accepted`, or the reject reason.
    pub fn outcome(&self) -> &str {
        if self.accepted() {
            "accepted"
        } else {
            self.reason.as_deref().unwrap_or("rejected")
        }
    }
}

/// Reads an answer: `None` if it is not one to batch `batch_id` of `records` records.
pub fn read_answer(text: &str, batch_id: &str, records: usize) -> Option<Answer> {
    let answer: Answer = serde_json::from_str(text).ok()?;
    if answer.batch_id != batch_id {
        return None;
    }
    let in_order = answer
        .decisions
        .iter()
        .enumerate()
        .all(|(index, decision)| decision.index as usize == index);
    (answer.decisions.len() == records && in_order).then_some(answer)
}

/// The bulk body of `records` under `batch_id`.
pub fn bulk_body(batch_id: &str, records: &[TransactionRecord]) -> Vec<u8> {
    let mut body = Vec::with_capacity(1 + batch_id.len() + records.len() * 51);
    // Batch ids are built here, at most 64 bytes.
    body.push(batch_id.len() as u8);
    body.extend_from_slice(batch_id.as_bytes());
    for record in records {
        body.extend_from_slice(&record.encode());
    }
    body
}

/// A copy of `record` with one bit of a TAC-covered field flipped: a TAC bit, or the lowest
/// bit of the seconds (a BCD digit stays a digit). Its TAC no longer verifies.
pub fn corrupted(record: &TransactionRecord, rng: &mut SimRng) -> TransactionRecord {
    let mut fields: RecordFields = record.fields();
    if rng.below(2) == 0 {
        let bit = rng.below(32) as u32;
        let tac = u32::from_be_bytes(fields.tac) ^ (1 << bit);
        fields.tac = tac.to_be_bytes();
    } else {
        let [hour, minute, second] = fields.time.bcd();
        if let Ok(time) = Time::from_bcd([hour, minute, second ^ 1]) {
            fields.time = time;
        }
    }
    TransactionRecord::new(fields).unwrap_or(*record)
}

/// A record waiting for an upload: the record, what the simulation knows of it, whether it
/// is a clean copy sent again, and its terminal's index.
pub type Outgoing = (TransactionRecord, RecordTag, bool, u32);

/// Cuts `records` into batches of at most [`BATCH_RECORDS_SIM_MAX`] named `{prefix}-{n}`,
/// numbering them from `formed + 1`: a terminal's own batches (prefix its id), or an
/// acquirer's batch of its online terminals' records at a sync.
pub fn form_batches(
    prefix: &str,
    formed: &mut u32,
    day: u32,
    records: Vec<Outgoing>,
) -> Vec<Batch> {
    let mut batches = Vec::new();
    let mut rest = records.into_iter().peekable();
    while rest.peek().is_some() {
        *formed += 1;
        let mut batch = Batch {
            id: format!("{prefix}-{formed:06}"),
            records: Vec::new(),
            tags: Vec::new(),
            resent: Vec::new(),
            terminals: Vec::new(),
            formed_day: day,
        };
        for (record, tag, resent, terminal) in rest.by_ref().take(BATCH_RECORDS_SIM_MAX) {
            batch.records.push(record);
            batch.tags.push(tag);
            batch.resent.push(resent);
            batch.terminals.push(terminal);
        }
        batches.push(batch);
    }
    batches
}
