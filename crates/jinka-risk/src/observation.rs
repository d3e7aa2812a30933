//! What the hub shows the evaluator: records it accepted or rejected, loads it authorized,
//! and the counter gaps its ingest left open.

use jinka_clearing::{
    Asn, AtcRange, Flags, IssuerId, LoadRequest, Region, RejectReason, TerminalId,
};
use jinka_record::{CounterKind, Date, Time, TransactionRecord};

use crate::decision::RecordId;

/// A record the hub accepted (`jinka_clearing::Decision::Accepted`), with its flags.
#[derive(Clone, Copy, Debug)]
pub struct AcceptedRecord<'a> {
    /// The caller's id for it (evidence).
    pub id: RecordId,
    /// The record. Its issuer id is the card's (ingest rejects others as `malformed`), so it
    /// names the issuer whose overrides apply.
    pub record: &'a TransactionRecord,
    /// The flags ingest raised: `balance_discontinuity` and `counter_gap` feed their rules;
    /// `hotlisted_card_used` feeds none (the card is on the blacklist already).
    pub flags: Flags,
    /// The region of the record's terminal (the registry's); `None` when not known, and the
    /// velocity rule passes the record by.
    pub region: Option<Region>,
}

/// A record the hub rejected. Only `bad_tac` feeds a rule (the terminal's); the others are
/// taken and ignored, so the caller need not sort them.
#[derive(Clone, Copy, Debug)]
pub struct RejectedRecord {
    /// The caller's id for it (evidence).
    pub id: RecordId,
    /// The terminal the record names. Ingest checks the terminal (registered, the uploader's)
    /// before the TAC, so a `bad_tac` record's terminal is a real one of the uploader's.
    pub terminal_id: TerminalId,
    /// Why it was rejected.
    pub reason: RejectReason,
}

/// A load the hub authorized (MAC1 verified: the card was at the terminal then). It counts as
/// a sighting of the card for the velocity rule, at the request's date and time.
#[derive(Clone, Copy, Debug)]
pub struct ApprovedLoad {
    /// The caller's id for the authorization (evidence).
    pub id: RecordId,
    /// The card.
    pub asn: Asn,
    /// The card's issuer id (whose overrides apply).
    pub issuer_id: IssuerId,
    /// The region of the request's terminal.
    pub region: Region,
    /// The terminal's date (covered by MAC2 and the TAC).
    pub date: Date,
    /// The terminal's time.
    pub time: Time,
}

impl ApprovedLoad {
    /// The observation of an approved `request` at a terminal in `region`.
    pub fn of(id: RecordId, request: &LoadRequest, region: Region) -> ApprovedLoad {
        ApprovedLoad {
            id,
            asn: request.asn,
            issuer_id: request.issuer_id,
            region,
            date: request.date,
            time: request.time,
        }
    }
}

/// A card counter's open gaps after the hub applied a batch: the `offline` or `online`
/// [`jinka_clearing::CounterState::gaps`] of the batch's `CardChange` for the card.
#[derive(Clone, Copy, Debug)]
pub struct GapReport<'a> {
    /// The card.
    pub asn: Asn,
    /// Its issuer id (whose overrides apply).
    pub issuer_id: IssuerId,
    /// Which counter.
    pub counter_kind: CounterKind,
    /// The counter's missing ATCs now, sorted and disjoint (empty: none missing).
    pub open: &'a [AtcRange],
}
