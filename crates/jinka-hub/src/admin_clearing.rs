//! Clearing in process: what the HTTP handlers of `api/batches.rs`, `api/loads.rs` and
//! `api/windows.rs` do, through the very same crate functions (`ingest_batch`, `authorize`,
//! `confirm`, `close_window`), for a caller that is already who it says it is (the seeded
//! simulation, `jinka bench`); and the reads an audit needs (cards' clearing state, account
//! totals, closed windows' reports).
//!
//! The decisions verify with [`ClearingKeys`], the issuer keys unsealed once by
//! [`Admin::clearing_keys`]: take them again after uploading a key set.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use jinka_hub::admin_clearing::BatchReply;
//! use jinka_hub::{Admin, HubConfig, NewParticipant, Region, Role, Roles};
//!
//! let data = tempfile::tempdir()?;
//! let admin = Admin::open(&HubConfig::new(data.path().join("hub"), "127.0.0.1:0".parse()?))?;
//! let acquirer = admin.add_participant(NewParticipant::new(
//!     "Metro",
//!     Roles::new([Role::Acquirer])?,
//!     Region::new(310_000),
//! )?)?;
//! let keys = admin.clearing_keys()?;
//! // A bulk body: the batch id's length, the batch id, then 51-byte records (here one that
//! // cannot be read: it is rejected `malformed`, the batch is still decided).
//! let mut body = vec![2, b'b', b'1'];
//! body.extend_from_slice(&[0u8; 51]);
//! let BatchReply::Decided(answer) = admin.upload_bulk_batch(acquirer.id, &body, &keys)? else {
//!     panic!("a new batch is decided");
//! };
//! assert!(answer.contains(r#""reason":"malformed""#));
//! assert_eq!(admin.upload_bulk_batch(acquirer.id, &body, &keys)?, BatchReply::Replayed(answer));
//! let report = admin.close_settlement_window()?;
//! assert_eq!(report.transaction_count(), 0);
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;

use jinka_clearing::{
    Asn, CardEntry, LoadDecision, LoadLimits, LoadRequest, MemoryKeyStore, RejectReason, RequestId,
};
use jinka_ledger::SettlementReport;

use crate::admin::Admin;
use crate::clearing::{
    BatchAnswer, Confirmed, GroupBatch, GroupLoad, KeyTable, LOAD_GROUP_MAX, LoadToConfirm, Upload,
    authorize, authorize_group, close_window, confirm, confirm_group, in_one_transaction,
    ingest_batch_with_rules, ingest_group, upload_group_limit,
};
use crate::config::Limits;
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::role::Role;

/// Most cards one read transaction of [`Admin::card_clearing_states`] looks at.
pub const CARD_STATES_PER_TRANSACTION_MAX: usize = 10_000;

/// The issuer keys the decisions verify with, unsealed from the vault (never shown: `Debug`
/// prints nothing of them).
#[derive(Clone)]
pub struct ClearingKeys(Arc<MemoryKeyStore>);

impl std::fmt::Debug for ClearingKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClearingKeys(..)")
    }
}

/// The answer to a batch upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchReply {
    /// Decided now: the answer's JSON, as `POST /v1/batches/bulk` gives it.
    Decided(String),
    /// The same batch id with the same records was uploaded before: the first answer, byte
    /// for byte.
    Replayed(String),
    /// The batch id was uploaded before with other records (`409 batch_id_reused`).
    BatchIdReused,
}

/// Where a confirmed load stands (`POST /v1/loads/{load_id}/confirm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadConfirmation {
    /// Posted, now or before.
    Posted,
    /// Voided: another load took its counter value (`409 load_voided`).
    Voided,
    /// The TAC was rejected for this reason (`422`).
    Refused(RejectReason),
    /// The requester has no load of that id (`404`).
    UnknownLoad,
}

/// One account's totals since the hub started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LedgerAccount {
    /// The participant.
    pub participant: ParticipantId,
    /// The account kind's name (`card-float`, `collected-cash`, `acquired`,
    /// `interchange-income`, `network-fee-income`, `settlement`).
    pub account: &'static str,
    /// Σ debits.
    pub debits_fen: u64,
    /// Σ credits.
    pub credits_fen: u64,
}

impl Admin {
    /// The issuer keys as the vault holds them now.
    pub fn clearing_keys(&self) -> Result<ClearingKeys, HubError> {
        Ok(ClearingKeys(
            KeyTable::load(self.hub.vault.as_ref())?.current(),
        ))
    }

    /// Uploads a batch of `uploader` (an acquirer or load agent) in the bulk form of
    /// `POST /v1/batches/bulk` (1 byte the batch id's length, the batch id, 51-byte records),
    /// decided and applied in one database transaction, as the route does.
    pub fn upload_bulk_batch(
        &self,
        uploader: ParticipantId,
        body: &[u8],
        keys: &ClearingKeys,
    ) -> Result<BatchReply, HubError> {
        self.require_role(uploader, &[Role::Acquirer, Role::LoadAgent])?;
        let upload = Upload::from_bulk(uploader, body)?;
        let now = self.hub.clock.now();
        // The risk rules run inside the batch's transaction, as on the API.
        let risk = self.hub.risk.as_ref();
        let answer = self.hub.clearing(|storage| {
            ingest_batch_with_rules(storage, &upload, keys.0.as_ref(), Some(risk), now)
        })?;
        Ok(batch_reply(answer))
    }

    /// Uploads bulk batches (each of its uploader) as [`Admin::upload_bulk_batch`] does one,
    /// one after the other inside ONE clearing transaction, committed once, as the batch
    /// committer of `POST /v1/batches/bulk` ingests the uploads waiting together: each batch
    /// decided over the state the ones before it left (the same answers, state and ledger as
    /// one by one); if that transaction fails, each batch alone in a transaction of its own.
    /// At most [`crate::UPLOAD_GROUP_MAX`] batches and [`crate::UPLOAD_GROUP_RECORDS_MAX`]
    /// records a transaction: more are uploaded in consecutive groups. The answers in order;
    /// a body that cannot be read, or an uploader that uploads no batches, is that upload's
    /// error only.
    pub fn upload_bulk_batches(
        &self,
        uploads: &[(ParticipantId, &[u8])],
        keys: &ClearingKeys,
    ) -> Vec<Result<BatchReply, HubError>> {
        let mut answers: Vec<Option<Result<BatchReply, HubError>>> =
            std::iter::repeat_with(|| None)
                .take(uploads.len())
                .collect();
        let mut read: Vec<(usize, Upload)> = Vec::with_capacity(uploads.len());
        for (index, (uploader, body)) in uploads.iter().enumerate() {
            let upload = self
                .require_role(*uploader, &[Role::Acquirer, Role::LoadAgent])
                .and_then(|()| Upload::from_bulk(*uploader, body));
            match upload {
                Ok(upload) => read.push((index, upload)),
                Err(error) => answers[index] = Some(Err(error)),
            }
        }
        let now = self.hub.clock.now();
        let limit = upload_group_limit(|(_, upload): &(usize, Upload)| upload.records.len());
        for group in limit.groups(&read) {
            let batches: Vec<GroupBatch<'_>> = group
                .iter()
                .map(|(_, upload)| GroupBatch {
                    upload,
                    keys: keys.0.as_ref(),
                    now,
                })
                .collect();
            for ((index, _), answer) in group.iter().zip(ingest_group(&self.hub, &batches)) {
                answers[*index] = Some(answer.map(batch_reply));
            }
        }
        answers
            .into_iter()
            .map(|answer| answer.unwrap_or_else(|| Err(HubError::corrupt("an upload unanswered"))))
            .collect()
    }

    /// Authorizes a load for `requester` (the owner of the request's terminal) within
    /// `limits`, as `POST /v1/loads/authorize`: an approval (MAC2, the load pending) or a
    /// refusal. The load's id is its request id.
    pub fn authorize_load(
        &self,
        requester: ParticipantId,
        request: &LoadRequest,
        limits: &Limits,
        keys: &ClearingKeys,
    ) -> Result<LoadDecision, HubError> {
        let limits = load_limits(limits)?;
        let now = self.hub.clock.now();
        self.hub.clearing(|storage| {
            authorize(storage, request, requester, &limits, keys.0.as_ref(), now)
        })
    }

    /// Authorizes `loads` (each of its requester) within `limits` as the load committer
    /// authorizes a group: decided one after the other inside ONE clearing transaction (each
    /// sees the ones before it: a second load of a card counts the first toward the daily
    /// limit), the approved ones shown to the risk rules, committed once; if that
    /// transaction fails, each load alone in a transaction of its own. At most
    /// [`LOAD_GROUP_MAX`] loads a transaction: more are decided in consecutive groups. The
    /// decisions in order, each as [`Admin::authorize_load`] gives it; `Err` only for
    /// unusable `limits`.
    pub fn authorize_loads(
        &self,
        loads: &[(ParticipantId, LoadRequest)],
        limits: &Limits,
        keys: &ClearingKeys,
    ) -> Result<Vec<Result<LoadDecision, HubError>>, HubError> {
        let limits = load_limits(limits)?;
        let now = self.hub.clock.now();
        let mut decisions = Vec::with_capacity(loads.len());
        for group in loads.chunks(LOAD_GROUP_MAX) {
            let group: Vec<GroupLoad<'_>> = group
                .iter()
                .map(|(requester, request)| GroupLoad {
                    request,
                    requester: *requester,
                    limits: &limits,
                    keys: keys.0.as_ref(),
                    now,
                })
                .collect();
            decisions.extend(authorize_group(&self.hub, &group));
        }
        Ok(decisions)
    }

    /// Confirms `confirmations` (each a load of its requester, with the card's TAC) as
    /// [`Admin::confirm_load`] does one, one after the other inside ONE clearing
    /// transaction, committed once (the participants and the ledger read once, the loads of
    /// distinct cards decided together, the postings added once: the same answers and state
    /// as one at a time, a load or card repeated included); if that transaction fails, each
    /// alone in a transaction of its own. At most [`LOAD_GROUP_MAX`] confirmations a transaction: more are confirmed
    /// in consecutive groups. The answers in order.
    pub fn confirm_loads(
        &self,
        confirmations: &[(ParticipantId, RequestId, [u8; 4])],
        keys: &ClearingKeys,
    ) -> Result<Vec<Result<LoadConfirmation, HubError>>, HubError> {
        let now = self.hub.clock.now();
        let keys = keys.0.as_ref();
        let mut answers = Vec::with_capacity(confirmations.len());
        for group in confirmations.chunks(LOAD_GROUP_MAX) {
            answers.extend(in_one_transaction(
                &self.hub,
                "load confirmation",
                group,
                |storage, some| {
                    let loads: Vec<LoadToConfirm<'_>> = some
                        .iter()
                        .map(|(requester, load_id, tac)| LoadToConfirm {
                            requester: *requester,
                            load_id,
                            tac: *tac,
                        })
                        .collect();
                    let confirmed = confirm_group(storage, &loads, keys, now)?;
                    Ok(confirmed.into_iter().map(load_confirmation).collect())
                },
            ));
        }
        Ok(answers)
    }

    /// Confirms the load `load_id` of `requester` with the card's TAC, as
    /// `POST /v1/loads/{load_id}/confirm`.
    pub fn confirm_load(
        &self,
        requester: ParticipantId,
        load_id: &RequestId,
        tac: [u8; 4],
        keys: &ClearingKeys,
    ) -> Result<LoadConfirmation, HubError> {
        let now = self.hub.clock.now();
        let confirmed = self
            .hub
            .clearing(|storage| confirm(storage, load_id, requester, tac, keys.0.as_ref(), now))?;
        Ok(load_confirmation(confirmed))
    }

    /// Closes the open settlement window now, as `POST /v1/windows/close`: its report.
    pub fn close_settlement_window(&self) -> Result<SettlementReport, HubError> {
        let now = self.hub.clock.now();
        let report = self.hub.clearing(|storage| close_window(storage, now))?;
        // The rules' state is saved with each closed window, as on the API.
        self.hub.risk.save_state(self.hub.store.as_ref(), now)?;
        Ok(report)
    }

    /// The report of the closed window `window_id`, as `GET /v1/windows/{id}/report` shows it
    /// to the operator; `None` if no such window is closed.
    pub fn settlement_report(&self, window_id: u64) -> Result<Option<SettlementReport>, HubError> {
        let Some(text) = self.hub.store.settlement_report(window_id)? else {
            return Ok(None);
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|error| HubError::corrupt(format!("table settlement_windows: {error}")))
    }

    /// The clearing state of each of `asns` (shadow balance, counters and their gaps,
    /// status), in order; `None` for a card not registered. Read
    /// [`CARD_STATES_PER_TRANSACTION_MAX`] cards a transaction.
    pub fn card_clearing_states(&self, asns: &[Asn]) -> Result<Vec<Option<CardEntry>>, HubError> {
        let mut states = Vec::with_capacity(asns.len());
        for chunk in asns.chunks(CARD_STATES_PER_TRANSACTION_MAX) {
            let read = self.hub.clearing(|storage| {
                chunk
                    .iter()
                    .map(|asn| storage.card_entry(*asn))
                    .collect::<Result<Vec<_>, HubError>>()
            })?;
            states.extend(read);
        }
        Ok(states)
    }

    /// Every account's totals since the hub started (the open window's postings included).
    pub fn ledger_accounts(&self) -> Result<Vec<LedgerAccount>, HubError> {
        let now = self.hub.clock.now();
        let open = self.hub.clearing(|storage| storage.open_ledger(now))?;
        open.accounts
            .iter()
            .map(|row| {
                Ok(LedgerAccount {
                    participant: ParticipantId::new(row.participant)?,
                    account: row.account,
                    debits_fen: row.debits_fen,
                    credits_fen: row.credits_fen,
                })
            })
            .collect()
    }

    /// The participant `id`, refused unless it plays one of `roles`.
    fn require_role(&self, id: ParticipantId, roles: &[Role]) -> Result<(), HubError> {
        let participant = self
            .hub
            .store
            .participant(id)?
            .ok_or_else(|| HubError::not_found(format!("participant {id}")))?;
        if roles.iter().any(|role| participant.roles.contains(*role)) {
            Ok(())
        } else {
            Err(HubError::invalid(
                "participant",
                format!("participant {id} neither acquires nor loads: it uploads no batches"),
            ))
        }
    }
}

/// A batch's answer as the in-process face gives it.
fn batch_reply(answer: BatchAnswer) -> BatchReply {
    match answer {
        BatchAnswer::Decided(text) => BatchReply::Decided(text),
        BatchAnswer::Replayed(text) => BatchReply::Replayed(text),
        BatchAnswer::IdReused => BatchReply::BatchIdReused,
    }
}

/// The load limits of the configuration's.
fn load_limits(limits: &Limits) -> Result<LoadLimits, HubError> {
    LoadLimits::new(
        limits.load_amount_max_fen,
        limits.card_balance_max_fen,
        limits.daily_load_max_fen,
    )
    .map_err(|error| HubError::config(error.to_string()))
}

/// Where a confirmed load stands, as the API answers it.
fn load_confirmation(confirmed: Option<Confirmed>) -> LoadConfirmation {
    match confirmed {
        None => LoadConfirmation::UnknownLoad,
        Some(Confirmed::Posted) => LoadConfirmation::Posted,
        Some(Confirmed::Voided) => LoadConfirmation::Voided,
        Some(Confirmed::Refused(reason)) => LoadConfirmation::Refused(reason),
    }
}
