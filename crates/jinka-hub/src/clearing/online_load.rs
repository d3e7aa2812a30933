//! Online loads (`hub.md` § Online load), each step one database transaction:
//!
//! - [`authorize`]: `jinka_clearing::authorize_load` over the stored card, terminal, the
//!   card's loads of the day and the load book; an approval not seen before is stored
//!   pending. The same request id with the same request gets the stored answer.
//! - [`confirm`]: the terminal's TAC for a load, decided by `jinka_clearing::confirm_load`
//!   like a one-record batch of the requester (so the load's batch record, later, is a
//!   `duplicate`) and applied like one; the load posts to the ledger as an online load.
//! - [`resolve_overdue`]: pending loads past their confirmation deadline, resolved by
//!   `jinka_clearing::resolve_unconfirmed` from the card's counter chain (posted) or voided.

use jinka_clearing::{
    Asn, Confirmation, Decision, Evidence, KeyStore, LoadContext, LoadDecision, LoadLimits,
    LoadRequest, LoadState, PostedBy, RejectReason, RequestId, authorize_load, confirm_load,
    resolve_unconfirmed, resolved,
};
use jinka_record::{CounterKind, DedupeKey, TransactionRecord};

use crate::clearing::clearing_error;
use crate::clearing::outcome::{Unit, UnitSource, apply_outcome, load_origin};
use crate::clearing::postings::Postings;
use crate::clearing::storage::{ClearingStorage, TransitionCause};
use crate::clearing::storage_view::{StorageView, ViewCache};
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::ParticipantId;

/// Most overdue loads one resolver run looks at (the next run takes the rest).
pub const RESOLVE_LOADS_MAX: u32 = 10_000;

/// Authorizes `request` of `requester`.
pub(crate) fn authorize(
    storage: &mut dyn ClearingStorage,
    request: &LoadRequest,
    requester: ParticipantId,
    limits: &LoadLimits,
    keys: &dyn KeyStore,
    now: EpochMs,
) -> Result<LoadDecision, HubError> {
    let loaded_today_fen = storage.loaded_on(request.asn, request.date)?;
    let view = StorageView::new(storage);
    let card = jinka_clearing::IngestView::card(&view, request.asn);
    let terminal = jinka_clearing::IngestView::terminal(&view, request.terminal_id);
    let context = LoadContext {
        requester: requester.clearing(),
        card: card.as_ref(),
        terminal: terminal.as_ref(),
        limits,
        loaded_today_fen,
    };
    let decision = authorize_load(request, &context, &view, keys);
    view.finish()?;
    let decision = decision.map_err(clearing_error)?;
    if let LoadDecision::Approved(approval) = &decision
        && !approval.replayed
    {
        storage.insert_authorization(&approval.authorization, now)?;
    }
    Ok(decision)
}

/// Where a confirmed load stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Confirmed {
    /// Posted (now, or before: by its batch record or an earlier confirmation).
    Posted,
    /// Voided: another load used its counter value, or its deadline passed and it was never
    /// reinstated.
    Voided,
    /// The TAC was refused for this reason.
    Refused(RejectReason),
}

/// Confirms the load `load_id` of `requester` with the card's `tac`; `None` if the requester
/// has no such load.
pub(crate) fn confirm(
    storage: &mut dyn ClearingStorage,
    load_id: &RequestId,
    requester: ParticipantId,
    tac: [u8; 4],
    keys: &dyn KeyStore,
    now: EpochMs,
) -> Result<Option<Confirmed>, HubError> {
    let authorization = storage.authorization(load_id)?;
    let Some(authorization) = authorization.filter(|a| a.requester == requester.clearing()) else {
        return Ok(None);
    };
    let parties = storage.clearing_parties()?;
    let cursor = storage.ledger_cursor(now)?;
    let view = StorageView::new(storage);
    if let Ok(record) = authorization.confirmation_record(tac) {
        view.prefetch(&[Ok(record)]);
    }
    let confirmation = confirm_load(&authorization, tac, &view, keys);
    let cache = view.finish()?;
    let confirmation = confirmation.map_err(clearing_error)?;
    let load = LoadToConfirm {
        requester,
        load_id,
        tac,
    };
    if let Some(refused) = keep_confirmation(storage, &load, &confirmation, now)? {
        return Ok(Some(refused));
    }
    let mut postings = Postings::new(cursor, &parties, None)?;
    post_confirmation(storage, &load, &confirmation, &cache, &mut postings, now)?;
    storage.add_to_ledger(&postings.finish())?;
    Ok(Some(Confirmed::Posted))
}

/// A load to confirm: whose, which, and the card's TAC.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LoadToConfirm<'a> {
    pub(crate) requester: ParticipantId,
    pub(crate) load_id: &'a RequestId,
    pub(crate) tac: [u8; 4],
}

/// Keeps the confirmation of `load` with its decision: the answer if it was rejected
/// (`None`: accepted, its outcome still to post).
pub(crate) fn keep_confirmation(
    storage: &mut dyn ClearingStorage,
    load: &LoadToConfirm<'_>,
    confirmation: &Confirmation,
    now: EpochMs,
) -> Result<Option<Confirmed>, HubError> {
    let decision = confirmation
        .outcome
        .decisions
        .first()
        .copied()
        .ok_or_else(|| HubError::corrupt("a confirmation has one decision"))?;
    storage.insert_confirmation(load.load_id, load.tac, decision.reason(), now)?;
    let Decision::Rejected { reason } = decision else {
        return Ok(None);
    };
    let state = storage.authorization(load.load_id)?.map(|a| a.state);
    Ok(Some(match (reason, state) {
        (RejectReason::Duplicate, Some(LoadState::Posted(_))) => Confirmed::Posted,
        (RejectReason::Duplicate, Some(LoadState::Voided)) => Confirmed::Voided,
        (reason, _) => Confirmed::Refused(reason),
    }))
}

/// Applies the accepted confirmation of `load` (its record, the card, the load's
/// transition), its posting into `postings`.
pub(crate) fn post_confirmation(
    storage: &mut dyn ClearingStorage,
    load: &LoadToConfirm<'_>,
    confirmation: &Confirmation,
    cache: &ViewCache,
    postings: &mut Postings,
    now: EpochMs,
) -> Result<(), HubError> {
    let records = [Ok(confirmation.record)];
    let unit = Unit {
        records: &records,
        outcome: &confirmation.outcome,
        source: UnitSource::Confirmation {
            load_id: load.load_id,
        },
        uploader: load.requester,
    };
    apply_outcome(storage, &unit, cache, postings, now)
}

/// What a resolver run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResolvedLoads {
    /// Pending loads posted (by the counter chain, or by their record).
    pub posted: u32,
    /// Pending loads voided (deadline passed with no evidence, or another load took their
    /// counter value).
    pub voided: u32,
    /// Overdue loads the evidence does not decide yet.
    pub unresolved: u32,
}

fn online_key(asn: Asn, atc: u16) -> DedupeKey {
    DedupeKey {
        asn: asn.bytes(),
        counter_kind: CounterKind::Online,
        atc,
    }
}

/// Resolves the pending loads authorized before `created_before` (at most
/// [`RESOLVE_LOADS_MAX`]).
pub(crate) fn resolve_overdue(
    storage: &mut dyn ClearingStorage,
    created_before: EpochMs,
    now: EpochMs,
) -> Result<ResolvedLoads, HubError> {
    let overdue = storage.overdue_authorizations(created_before, RESOLVE_LOADS_MAX)?;
    let mut done = ResolvedLoads::default();
    if overdue.is_empty() {
        return Ok(done);
    }
    let parties = storage.clearing_parties()?;
    let cursor = storage.ledger_cursor(now)?;
    let mut postings = Postings::new(cursor, &parties, None)?;
    for authorization in overdue {
        let (asn, atc) = (authorization.asn(), authorization.online_atc());
        let at_atc = storage.accepted_record(&online_key(asn, atc))?;
        let next: Option<TransactionRecord> = match atc.checked_add(1) {
            Some(next) if at_atc.is_none() => storage.accepted_record(&online_key(asn, next))?,
            _ => None,
        };
        let rivals = match &next {
            Some(_) => storage
                .card_authorizations(asn, Some(atc))?
                .iter()
                .filter(|a| a.state != LoadState::Voided)
                .filter(|a| a.request.request_id != authorization.request.request_id)
                .count(),
            None => 0,
        };
        let evidence = match (&at_atc, &next) {
            (Some(record), _) => Evidence::RecordAtAtc(record),
            (None, Some(record)) => Evidence::NextLoad {
                record,
                rival_authorizations: rivals,
            },
            (None, None) => Evidence::DeadlinePassed,
        };
        let resolution = resolve_unconfirmed(&authorization, &evidence);
        let Some(change) = resolved(&authorization, resolution) else {
            done.unresolved += 1;
            continue;
        };
        // A replacement credit collected no cash: nothing to post (`replacement_credit`).
        if change.transition.to == LoadState::Posted(PostedBy::CounterChain)
            && !storage
                .lifecycle()
                .is_credit_load(authorization.request.request_id.as_str())?
        {
            let card = storage
                .card_entry(asn)?
                .ok_or_else(|| HubError::corrupt(format!("load of unknown card {asn}")))?;
            let record = authorization
                .confirmation_record([0; 4])
                .map_err(clearing_error)?;
            postings.load(
                &record,
                load_origin(&authorization.request.request_id)?,
                ParticipantId::from_clearing(authorization.requester)?,
                ParticipantId::from_clearing(card.issuer)?,
            )?;
        }
        storage.add_shadow_balance(asn, change.shadow_balance_delta_fen)?;
        storage.apply_transition(&change.transition, TransitionCause::Resolver, None, now)?;
        match change.transition.to {
            LoadState::Voided => done.voided += 1,
            _ => done.posted += 1,
        }
    }
    storage.add_to_ledger(&postings.finish())?;
    Ok(done)
}
