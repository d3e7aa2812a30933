//! The card's life across the network (`hub.md` § Card lifecycle): an issuer reports a card
//! lost, replaces it by a new card, or closes it; each is a [`CardOperation`] kept with its
//! state, so every participant can list its own and the operator all of them. Blacklisting
//! goes through risk control's operations (`risk::hotlist`, `add_blacklist_change`).
//!
//! - **Lost** (`POST /v1/cards/{asn}/lost`): an active card is `hotlisted` and listed (reason
//!   `lost`) at once; the operation is done when made.
//! - **Replace** (`POST /v1/cards/{asn}/replace` `{new_asn}`): the new card must be registered
//!   (same issuer, active); the old card becomes `replaced` and is listed (reason `replaced`,
//!   unless listed already) at once, so load authorization refuses it. The operation stays
//!   `pending` during the freeze period ([`CARD_FREEZE_PERIOD_MS`]) so the old card's offline
//!   records can come in; it is completed by the issuer or the operator
//!   (`POST /v1/card-operations/{id}/complete`: "its records are in") or, once due, by
//!   [`complete_due`] (a serving hub runs it on its resolver timer). Completing takes the old
//!   card's (positive) shadow balance off it in one write transaction, serialized with ingest
//!   (no record slips between the read and the move); the amount is pending until the
//!   replacement credit (`replacement_credit`: an online load on the new card that collects no
//!   cash) posts and puts it on the new card's chip and shadow balance. Both cards draw on the
//!   same issuer's card float, so the move changes no ledger account: the issuer's card float
//!   equals the Σ of its cards' shadow balances plus its pending replacement credits.
//! - **Close** (`POST /v1/cards/{asn}/close`): the card is `closed` and listed at once (ingest
//!   rejects its records `card_closed`; loads are refused); completing the operation refunds
//!   the card's shadow balance then to the cardholder through the issuer's ledger: one
//!   balanced transaction (`jinka_ledger::post_refund`) from the issuer's card float to its
//!   `refunds-payable` account, and the card's shadow balance set to 0. The operation's
//!   `amount_fen` is the refund.
//!
//! Records of a replaced card that arrive after the transfer are still accepted (the chip
//! really spent them): they debit the old card's shadow balance, which goes negative. The
//! issuer's float bears it and the negative balance is the flag; money stays conserved.

use jinka_card::Aid;
use jinka_risk::{ChangeKind, ListingReason};
use serde::Serialize;

use crate::byte_id::Asn;
use crate::card::CardStatus;
use crate::clearing::{ClearingStorage, Postings};
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::store::{Page, Scope};

/// How long a replaced or closed card's balance stays frozen before its operation completes by
/// itself: 7 days, time for offline terminals to upload the card's last records.
pub const CARD_FREEZE_PERIOD_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// Most due operations one [`complete_due`] run completes.
pub const COMPLETE_OPERATIONS_MAX: u32 = 1_000;

/// What an operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    /// Reported lost: hotlisted.
    Lost,
    /// Replaced by a new card: balance moved to it.
    Replace,
    /// Closed: balance refunded to the cardholder.
    Close,
    /// An application provider's application added after issuance.
    AddApplication,
    /// An application provider's application removed.
    RemoveApplication,
}

impl OperationKind {
    /// Every kind.
    pub const ALL: [OperationKind; 5] = [
        OperationKind::Lost,
        OperationKind::Replace,
        OperationKind::Close,
        OperationKind::AddApplication,
        OperationKind::RemoveApplication,
    ];

    /// Its name in JSON and SQL.
    pub const fn name(self) -> &'static str {
        match self {
            OperationKind::Lost => "lost",
            OperationKind::Replace => "replace",
            OperationKind::Close => "close",
            OperationKind::AddApplication => "add_application",
            OperationKind::RemoveApplication => "remove_application",
        }
    }

    /// Parses a name.
    pub fn from_name(name: &str) -> Option<OperationKind> {
        OperationKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
    }
}

/// Where an operation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationState {
    /// An application provider's request the card's issuer has not consented to yet.
    AwaitingConsent,
    /// Waiting for the old card's records (or the freeze period).
    Pending,
    /// Done.
    Completed,
    /// The card refused the script.
    Failed,
}

impl OperationState {
    /// Every state.
    pub const ALL: [OperationState; 4] = [
        OperationState::AwaitingConsent,
        OperationState::Pending,
        OperationState::Completed,
        OperationState::Failed,
    ];

    /// Its name in JSON and SQL.
    pub const fn name(self) -> &'static str {
        match self {
            OperationState::AwaitingConsent => "awaiting_consent",
            OperationState::Pending => "pending",
            OperationState::Completed => "completed",
            OperationState::Failed => "failed",
        }
    }

    /// Parses a name.
    pub fn from_name(name: &str) -> Option<OperationState> {
        OperationState::ALL
            .into_iter()
            .find(|state| state.name() == name)
    }
}

/// An operation on a card (its JSON form is the API's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CardOperation {
    /// Its number.
    pub id: u64,
    /// What it does.
    pub kind: OperationKind,
    /// The card.
    pub asn: Asn,
    /// The new card of a replacement.
    pub new_asn: Option<Asn>,
    /// The card's issuer.
    pub issuer: ParticipantId,
    /// Who asked: the issuer, or the application provider of an application operation.
    pub requester: ParticipantId,
    /// The application added or removed.
    pub aid: Option<Aid>,
    /// Where it stands.
    pub state: OperationState,
    /// When it was made.
    pub created_at_ms: EpochMs,
    /// When it completes by itself (replace, close).
    pub due_at_ms: Option<EpochMs>,
    /// When it completed.
    pub completed_at_ms: Option<EpochMs>,
    /// The balance moved (replace) or refunded (close), when completed.
    pub amount_fen: Option<i64>,
}

/// An operation to store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NewOperation {
    pub(crate) kind: OperationKind,
    pub(crate) asn: Asn,
    pub(crate) new_asn: Option<Asn>,
    pub(crate) issuer: ParticipantId,
    pub(crate) requester: ParticipantId,
    pub(crate) aid: Option<Aid>,
    pub(crate) state: OperationState,
    pub(crate) due_at: Option<EpochMs>,
}

/// What the lifecycle reads and writes inside a clearing transaction (the engines' SQL is in
/// `sqlite/lifecycle.rs` and `postgres/lifecycle.rs`).
pub(crate) trait LifecycleStorage {
    /// Sets a registered card's status.
    fn set_card_status(
        &mut self,
        asn: Asn,
        status: CardStatus,
        now: EpochMs,
    ) -> Result<(), HubError>;
    /// Stores an operation made at `now`: its number.
    fn insert_card_operation(&mut self, new: &NewOperation, now: EpochMs) -> Result<u64, HubError>;
    /// An operation.
    fn card_operation(&mut self, id: u64) -> Result<Option<CardOperation>, HubError>;
    /// Operations of the issuers in `scope`, in id order.
    fn card_operations(
        &mut self,
        scope: Scope,
        page: Page<u64>,
    ) -> Result<Vec<CardOperation>, HubError>;
    /// Moves an operation from `from` to `to` at `now` (`Corrupt` if it is not in `from`),
    /// with the amount moved or refunded, if any (`completed_at_ms` is set when `to` is
    /// completed or failed).
    fn change_card_operation(
        &mut self,
        id: u64,
        from: OperationState,
        to: OperationState,
        amount_fen: Option<i64>,
        now: EpochMs,
    ) -> Result<(), HubError>;
    /// Stores the script (APDUs in hexadecimal, one a line) of an application operation.
    fn set_card_operation_script(&mut self, id: u64, script: &str) -> Result<(), HubError>;
    /// The script of an application operation.
    fn card_operation_script(&mut self, id: u64) -> Result<Option<String>, HubError>;
    /// Reserves `count` management counters of the card: the last one used before them (at
    /// least `floor`).
    fn reserve_management_counters(
        &mut self,
        asn: Asn,
        count: u32,
        floor: u32,
    ) -> Result<u32, HubError>;
    /// Adds (`installed`) or removes the application `aid` from the card's list.
    fn set_card_application(
        &mut self,
        asn: Asn,
        aid: &Aid,
        installed: bool,
    ) -> Result<(), HubError>;
    /// Pending operations due at or before `now`, oldest first, at most `limit`.
    fn due_card_operations(&mut self, now: EpochMs, limit: u32) -> Result<Vec<u64>, HubError>;
    /// Whether the card has a pending operation, or is the new card of one.
    fn pending_operation_on(&mut self, asn: Asn) -> Result<bool, HubError>;
    /// The request ids of the loads the replacement `id` funds that are not voided.
    fn replacement_credits(&mut self, id: u64) -> Result<Vec<String>, HubError>;
    /// Marks the stored load `request_id` as funded by the replacement `id`.
    fn fund_load(&mut self, request_id: &str, id: u64) -> Result<(), HubError>;
    /// Whether the load record of card `asn` at online counter `online_atc`, of `amount_fen`
    /// from `terminal_id`, is a replacement credit (a funded load's record).
    fn is_credit_record(
        &mut self,
        asn: [u8; 8],
        online_atc: u16,
        amount_fen: u32,
        terminal_id: [u8; 6],
    ) -> Result<bool, HubError>;
    /// Whether the load `request_id` is a replacement credit.
    fn is_credit_load(&mut self, request_id: &str) -> Result<bool, HubError>;
}

/// What an issuer asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardRequest {
    /// Report lost.
    Lost,
    /// Replace by this (registered) card.
    Replace {
        /// The new card.
        new_asn: Asn,
    },
    /// Close and refund.
    Close,
}

fn own_card(
    storage: &mut dyn ClearingStorage,
    asn: Asn,
    issuer: Option<ParticipantId>,
) -> Result<jinka_clearing::CardEntry, HubError> {
    let entry = storage
        .card_entry(jinka_clearing::Asn::new(asn.bytes()))?
        .filter(|entry| issuer.is_none_or(|issuer| entry.issuer == issuer.clearing()))
        .ok_or_else(|| HubError::not_found(format!("no card {asn} of yours")))?;
    Ok(entry)
}

/// Makes the operation `request` on card `asn` for `issuer` (`None`: the operator, for the
/// card's own issuer) at `now`.
pub(crate) fn request(
    storage: &mut dyn ClearingStorage,
    asn: Asn,
    issuer: Option<ParticipantId>,
    request: CardRequest,
    now: EpochMs,
) -> Result<CardOperation, HubError> {
    use jinka_clearing::CardStatus as Status;
    let entry = own_card(storage, asn, issuer)?;
    let owner = ParticipantId::from_clearing(entry.issuer)?;
    if storage.lifecycle().pending_operation_on(asn)? {
        return Err(HubError::conflict(format!(
            "card {asn} has a pending operation: complete it first"
        )));
    }
    let due_at = now
        .get()
        .checked_add(CARD_FREEZE_PERIOD_MS)
        .map(EpochMs::new);
    let (kind, status, new_asn, state) = match request {
        CardRequest::Lost => (
            OperationKind::Lost,
            CardStatus::Hotlisted,
            None,
            OperationState::Completed,
        ),
        CardRequest::Replace { new_asn } => {
            if matches!(entry.status, Status::Replaced | Status::Closed) || new_asn == asn {
                return Err(HubError::conflict(format!(
                    "card {asn} is already replaced or closed"
                )));
            }
            let new = own_card(storage, new_asn, Some(owner)).map_err(|_| {
                HubError::invalid("new_asn", "must be a registered card of the same issuer")
            })?;
            if new.status != Status::Active || storage.lifecycle().pending_operation_on(new_asn)? {
                return Err(HubError::conflict(format!(
                    "the new card {new_asn} must be active, with no pending operation"
                )));
            }
            (
                OperationKind::Replace,
                CardStatus::Replaced,
                Some(new_asn),
                OperationState::Pending,
            )
        }
        CardRequest::Close => {
            if matches!(entry.status, Status::Replaced | Status::Closed) {
                return Err(HubError::conflict(format!(
                    "card {asn} is already replaced or closed"
                )));
            }
            (
                OperationKind::Close,
                CardStatus::Closed,
                None,
                OperationState::Pending,
            )
        }
    };
    let listed = matches!(entry.status, Status::Hotlisted | Status::Blocked);
    blacklist(storage, asn, kind, listed, now)?;
    let lifecycle = storage.lifecycle();
    if kind != OperationKind::Lost {
        lifecycle.set_card_status(asn, status, now)?;
    }
    let new = NewOperation {
        kind,
        asn,
        new_asn,
        issuer: owner,
        requester: owner,
        aid: None,
        state,
        due_at: (state == OperationState::Pending)
            .then_some(due_at)
            .flatten(),
    };
    let id = lifecycle.insert_card_operation(&new, now)?;
    lifecycle
        .card_operation(id)?
        .ok_or_else(|| HubError::corrupt(format!("card operation {id} vanished")))
}

/// Puts the card on the network blacklist through risk control's operations (the next
/// version): a lost card is hotlisted (`risk::hotlist`: active to hotlisted); a replaced or
/// closed one is listed with that reason unless it is listed already (`listed`).
fn blacklist(
    storage: &mut dyn ClearingStorage,
    asn: Asn,
    kind: OperationKind,
    listed: bool,
    now: EpochMs,
) -> Result<(), HubError> {
    let card = jinka_clearing::Asn::new(asn.bytes());
    let reason = match kind {
        OperationKind::Lost => {
            return match crate::risk::hotlist(storage.risk(), card, ListingReason::Lost, now)? {
                Some(_) => Ok(()),
                None => Err(HubError::conflict(format!(
                    "card {asn} is not active: it cannot be reported lost"
                ))),
            };
        }
        OperationKind::Replace => ListingReason::Replaced,
        OperationKind::Close => ListingReason::Closed,
        OperationKind::AddApplication | OperationKind::RemoveApplication => return Ok(()),
    };
    if !listed {
        storage
            .risk()
            .add_blacklist_change(card, ChangeKind::Listed(reason), now.get())?;
    }
    Ok(())
}

/// Completes the pending operation `id` at `now` (for `issuer`, or `None`: the operator):
/// a replacement moves the old card's shadow balance to the new card; a closing refunds the
/// card's balance through the issuer's ledger ([`refund`]).
pub(crate) fn complete(
    storage: &mut dyn ClearingStorage,
    id: u64,
    issuer: Option<ParticipantId>,
    now: EpochMs,
) -> Result<CardOperation, HubError> {
    let operation = storage
        .lifecycle()
        .card_operation(id)?
        .filter(|operation| issuer.is_none_or(|issuer| operation.issuer == issuer))
        .ok_or_else(|| HubError::not_found(format!("no card operation {id} of yours")))?;
    if !matches!(
        operation.kind,
        OperationKind::Replace | OperationKind::Close
    ) {
        return Err(HubError::conflict(format!(
            "card operation {id} completes when its terminal reports the script's result"
        )));
    }
    if operation.state != OperationState::Pending {
        return Err(HubError::conflict(format!(
            "card operation {id} is already completed"
        )));
    }
    let old = own_card(storage, operation.asn, None)?;
    let balance = old.shadow_balance_fen;
    let amount = match (operation.kind, operation.new_asn) {
        (OperationKind::Replace, Some(_)) => {
            // The old card's balance leaves it now and is pending until the replacement credit
            // puts it on the new card's chip (`replacement_credit`); a negative balance stays
            // on the old card as the flag.
            let moved = balance.max(0);
            storage.add_shadow_balance(jinka_clearing::Asn::new(operation.asn.bytes()), -moved)?;
            moved
        }
        (OperationKind::Close, None) => refund(storage, &operation, balance, now)?,
        _ => {
            return Err(HubError::corrupt(format!(
                "card operation {id}: nothing to complete"
            )));
        }
    };
    let lifecycle = storage.lifecycle();
    lifecycle.change_card_operation(
        id,
        OperationState::Pending,
        OperationState::Completed,
        Some(amount),
        now,
    )?;
    lifecycle
        .card_operation(id)?
        .ok_or_else(|| HubError::corrupt(format!("card operation {id} vanished")))
}

/// Refunds a closed card's `balance` through its issuer's ledger (`jinka_ledger::post_refund`:
/// Dr issuer card-float, Cr issuer refunds-payable, in the open window's card-closings line)
/// and sets the card's shadow balance to 0, so the issuer's card float still equals the Σ of
/// its cards' shadow balances: the refund, in fen. A negative balance (the card spent more than
/// the hub knew it held: a clone) refunds nothing and stays on the card as the flag, borne by
/// the float, as for a replaced card.
fn refund(
    storage: &mut dyn ClearingStorage,
    operation: &CardOperation,
    balance: i64,
    now: EpochMs,
) -> Result<i64, HubError> {
    let Ok(amount) = u64::try_from(balance) else {
        return Ok(0);
    };
    if amount == 0 {
        return Ok(0);
    }
    let asn = operation.asn.bytes();
    let cursor = storage.ledger_cursor(now)?;
    let mut postings = Postings::new(cursor, &[], None)?;
    postings.refund(
        asn,
        operation.id,
        operation.issuer,
        jinka_ledger::Amount::from_fen(amount),
    )?;
    storage.add_to_ledger(&postings.finish())?;
    let negated = balance
        .checked_neg()
        .ok_or_else(|| HubError::corrupt("shadow balance out of range"))?;
    storage.add_shadow_balance(jinka_clearing::Asn::new(asn), negated)?;
    Ok(balance)
}

/// Completes the pending operations due at `now` (their freeze period over), at most
/// [`COMPLETE_OPERATIONS_MAX`]: the completed ones.
pub(crate) fn complete_due(
    storage: &mut dyn ClearingStorage,
    now: EpochMs,
) -> Result<Vec<CardOperation>, HubError> {
    let due = storage
        .lifecycle()
        .due_card_operations(now, COMPLETE_OPERATIONS_MAX)?;
    due.into_iter()
        .map(|id| complete(storage, id, None, now))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in OperationKind::ALL {
            assert_eq!(OperationKind::from_name(kind.name()), Some(kind));
        }
        for state in OperationState::ALL {
            assert_eq!(OperationState::from_name(state.name()), Some(state));
        }
        assert_eq!(OperationKind::from_name("steal"), None);
        assert_eq!(OperationState::from_name("done"), None);
    }
}
