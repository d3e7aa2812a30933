//! What risk control reads and writes, engine-neutral: inside a batch's clearing transaction
//! (`ClearingStorage::risk`) or in a read transaction of its own (`Store::risk_read`).

use jinka_clearing::{Asn, TerminalId};
use jinka_risk::{Action, Change, ChangeKind, RecordId, RiskDecision, Rule, Subject};
use serde::Serialize;

use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::store::Scope;

/// A stored risk decision (its JSON form is the API's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredDecision {
    /// Its id (the engine's row id), in the order decisions were stored.
    pub id: u64,
    /// Which rule fired.
    pub rule: Rule,
    /// What it did.
    pub action: Action,
    /// The card or terminal it is about.
    pub subject: Subject,
    /// The card's issuer or the terminal's owner.
    pub participant: Option<ParticipantId>,
    /// The records behind it: (batch row id << 20) | index in the batch.
    pub evidence: Vec<RecordId>,
    /// When it fired (the hub's time, epoch ms).
    pub at_ms: i64,
    /// Why, in one sentence.
    pub explanation: String,
}

/// A record named as evidence, as stored with its batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EvidenceRow {
    /// The uploader's batch id.
    pub(crate) batch_id: String,
    /// The record's 51-byte binary form (or what was sent, for an unreadable rejected one).
    pub(crate) record: Vec<u8>,
    /// `None`: accepted; else the reject reason's code.
    pub(crate) rejected: Option<String>,
}

/// A setting row of `risk_settings`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Setting {
    /// The rules' configuration (JSON `RiskSettings`).
    Config,
    /// The evaluator's state as JSON (`RiskState`), as hubs before the binary form
    /// (`risk_state_chunks`) saved it: read when there are no chunks, deleted at a save.
    State,
}

impl Setting {
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Setting::Config => "config",
            Setting::State => "state",
        }
    }
}

/// The operations. Writes are only called inside a write (clearing) transaction.
pub(crate) trait RiskStorage {
    /// Stores a decision (with the participant its subject belongs to): its id.
    fn insert_decision(&mut self, decision: &RiskDecision) -> Result<u64, HubError>;
    /// Decisions after `after` in id order, of the participant in `scope`, at most `limit`.
    fn decisions(
        &mut self,
        scope: Scope,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<StoredDecision>, HubError>;
    /// One decision.
    fn decision(&mut self, id: u64) -> Result<Option<StoredDecision>, HubError>;
    /// The record `index` of the batch row `batch`: accepted (of card `asn`, when known:
    /// a lookup by its key's prefix) or rejected.
    fn evidence_record(
        &mut self,
        asn: Option<Asn>,
        batch: i64,
        index: u32,
    ) -> Result<Option<EvidenceRow>, HubError>;
    /// Sets the card's status to `to` if it is `from` (`status_changed_at_ms` = now): whether
    /// it changed.
    fn change_card_status(
        &mut self,
        asn: Asn,
        from: &str,
        to: &str,
        now: EpochMs,
    ) -> Result<bool, HubError>;
    /// Marks the terminal suspended unless it is: whether it changed.
    fn suspend_terminal(&mut self, id: TerminalId, now: EpochMs) -> Result<bool, HubError>;
    /// Whether the terminal is suspended.
    fn terminal_suspended(&mut self, id: TerminalId) -> Result<bool, HubError>;
    /// Lifts the terminal's suspension if it has one: whether it changed.
    fn reinstate_terminal(&mut self, id: TerminalId) -> Result<bool, HubError>;
    /// Appends a blacklist change as the next version (the highest stored + 1): that version.
    fn add_blacklist_change(
        &mut self,
        asn: Asn,
        kind: ChangeKind,
        at_ms: i64,
    ) -> Result<u64, HubError>;
    /// The blacklist changes above `version`, oldest first.
    fn blacklist_changes(&mut self, version: u64) -> Result<Vec<Change>, HubError>;
    /// A setting's stored value.
    fn setting(&mut self, setting: Setting) -> Result<Option<String>, HubError>;
    /// The clearing operations on the same transaction (the load book, for a load named as
    /// evidence).
    fn as_clearing(&mut self) -> &mut dyn crate::clearing::ClearingStorage;
    /// Stores a setting's value.
    fn put_setting(&mut self, setting: Setting, value: &str, now: EpochMs) -> Result<(), HubError>;
    /// The saved evaluator state's chunk `index` (`risk_state_chunks`), if there is one.
    fn state_chunk(&mut self, index: u32) -> Result<Option<Vec<u8>>, HubError>;
    /// Stores the saved evaluator state's chunk `index`, replacing the one there.
    fn put_state_chunk(&mut self, index: u32, bytes: &[u8], now: EpochMs) -> Result<(), HubError>;
    /// Ends a save of `count` chunks: deletes the chunks from `count` on (of a larger save
    /// before) and the JSON state of hubs before the binary form.
    fn end_state_chunks(&mut self, count: u32) -> Result<(), HubError>;
}

/// A decision's subject as stored: kind and id bytes.
pub(crate) fn subject_columns(subject: &Subject) -> (&'static str, Vec<u8>) {
    match subject {
        Subject::Card(asn) => ("card", asn.bytes().to_vec()),
        Subject::Terminal(id) => ("terminal", id.bytes().to_vec()),
    }
}

/// A stored decision's columns, checked: id, rule, action, subject kind, subject id,
/// participant, evidence JSON, at, explanation.
pub(crate) type RawDecision = (
    i64,
    String,
    String,
    String,
    Vec<u8>,
    Option<i64>,
    String,
    i64,
    String,
);

fn code<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> Result<T, HubError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|_| {
        HubError::corrupt(format!(
            "table risk_decisions: column {column} out of its domain"
        ))
    })
}

pub(crate) fn checked_decision(raw: RawDecision) -> Result<StoredDecision, HubError> {
    let (id, rule, action, kind, subject_id, participant, evidence, at_ms, explanation) = raw;
    let corrupt = |column: &str| {
        HubError::corrupt(format!(
            "table risk_decisions: column {column} out of its domain"
        ))
    };
    let subject = match kind.as_str() {
        "card" => Subject::Card(Asn::new(
            subject_id
                .as_slice()
                .try_into()
                .map_err(|_| corrupt("subject_id"))?,
        )),
        "terminal" => Subject::Terminal(TerminalId::new(
            subject_id
                .as_slice()
                .try_into()
                .map_err(|_| corrupt("subject_id"))?,
        )),
        _ => return Err(corrupt("subject_kind")),
    };
    let participant = participant
        .map(|id| ParticipantId::from_column(id).ok_or_else(|| corrupt("participant_id")))
        .transpose()?;
    Ok(StoredDecision {
        id: u64::try_from(id).map_err(|_| corrupt("id"))?,
        rule: code("rule", &rule)?,
        action: code("action", &action)?,
        subject,
        participant,
        evidence: serde_json::from_str(&evidence).map_err(|_| corrupt("evidence"))?,
        at_ms,
        explanation,
    })
}

/// A blacklist change's columns, checked: version, ASN, kind, reason, at.
pub(crate) fn checked_change(
    (version, asn, kind, reason, at_ms): (i64, Vec<u8>, String, Option<String>, i64),
) -> Result<Change, HubError> {
    let corrupt = |column: &str| {
        HubError::corrupt(format!(
            "table blacklist_changes: column {column} out of its domain"
        ))
    };
    let kind = match (kind.as_str(), reason) {
        ("listed", Some(reason)) => ChangeKind::Listed(
            serde_json::from_value(serde_json::Value::String(reason))
                .map_err(|_| corrupt("reason"))?,
        ),
        ("unlisted", None) => ChangeKind::Unlisted,
        _ => return Err(corrupt("kind")),
    };
    Ok(Change {
        version: u64::try_from(version).map_err(|_| corrupt("version"))?,
        asn: Asn::new(asn.as_slice().try_into().map_err(|_| corrupt("asn"))?),
        kind,
        at_ms,
    })
}

/// A change's kind and reason columns.
pub(crate) fn change_columns(kind: ChangeKind) -> (&'static str, Option<&'static str>) {
    match kind {
        ChangeKind::Listed(reason) => ("listed", Some(reason_code(reason))),
        ChangeKind::Unlisted => ("unlisted", None),
    }
}

/// A listing reason's code.
pub(crate) const fn reason_code(reason: jinka_risk::ListingReason) -> &'static str {
    use jinka_risk::ListingReason;
    match reason {
        ListingReason::Lost => "lost",
        ListingReason::RiskRule => "risk_rule",
        ListingReason::IssuerRequest => "issuer_request",
        ListingReason::Replaced => "replaced",
        ListingReason::Closed => "closed",
    }
}
