//! Applying a decided unit's [`IngestOutcome`] (`jinka-clearing`'s steps 2 to 4, with the
//! ledger): accepted records inserted under their unique keys with the ledger transaction
//! that cleared each, the cards' new shadow balances and counters, the loads' transitions,
//! and the postings.
//!
//! # Which load posts the ledger
//!
//! The ledger follows the shadow balance: each accepted load record posts its load, except a
//! record that turns a load posted by the counter chain into one posted by its TAC (the chain
//! posting already cleared it); a load the counter chain posts clears as an online load of
//! its requester. A replacement credit (a load funded by a card replacement,
//! `replacement_credit`) collected no cash and posts nothing: the moved balance is in the
//! issuer's card float already. A load posted by the counter chain that a rival record at its ATC voids
//! cannot be reversed (the ledger has no reversal entries): the transition is kept with a
//! ledger note and logged for the operator.

use foldhash::HashSet;
use jinka_clearing::{
    Asn, Decision, IngestOutcome, LoadState, LoadTransition, PostedBy, RequestId, UploadedRecord,
};
use jinka_ledger::{LoadId, Origin};
use jinka_record::CounterKind;

use crate::clearing::postings::{Postings, ledger_error};
use crate::clearing::storage::{AcceptedRow, ClearingStorage, Delivery, TransitionCause};
use crate::clearing::storage_view::ViewCache;
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::ParticipantId;

/// Where a unit came from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum UnitSource<'a> {
    /// A batch of `uploader`.
    Batch {
        key: crate::clearing::storage::BatchKey,
        ledger_id: &'a jinka_ledger::BatchId,
    },
    /// A terminal's confirmation of a load.
    Confirmation { load_id: &'a RequestId },
}

/// A decided unit.
pub(crate) struct Unit<'a> {
    pub(crate) records: &'a [UploadedRecord],
    pub(crate) outcome: &'a IngestOutcome,
    pub(crate) source: UnitSource<'a>,
    /// Who delivered it: the batch's acquirer, or the load's requester.
    pub(crate) uploader: ParticipantId,
}

/// The ledger's name for an online load.
pub(crate) fn load_origin(request_id: &RequestId) -> Result<Origin, HubError> {
    let load_id = LoadId::new(request_id.as_str()).map_err(ledger_error)?;
    Ok(Origin::OnlineLoad { load_id })
}

fn issuer_of(cache: &ViewCache, asn: Asn) -> Result<ParticipantId, HubError> {
    let card = cache.cards.get(&asn).ok_or_else(|| {
        HubError::corrupt(format!("card {asn} of an accepted record was not read"))
    })?;
    ParticipantId::from_clearing(card.issuer)
}

/// Applies `unit` through `storage`, its postings into `postings`.
pub(crate) fn apply_outcome(
    storage: &mut dyn ClearingStorage,
    unit: &Unit<'_>,
    cache: &ViewCache,
    postings: &mut Postings,
    now: EpochMs,
) -> Result<(), HubError> {
    let outcome = unit.outcome;
    if unit.records.len() != outcome.decisions.len() {
        return Err(HubError::corrupt("an outcome has one decision per record"));
    }
    let chain_replaced: HashSet<(Asn, u16)> = outcome
        .changes
        .loads
        .iter()
        .filter(|t| t.from == LoadState::Posted(PostedBy::CounterChain))
        .filter(|t| t.to == LoadState::Posted(PostedBy::Tac))
        .map(|t| (t.asn, t.online_atc))
        .collect();
    let origin = match unit.source {
        UnitSource::Batch { ledger_id, .. } => Origin::Batch(jinka_ledger::BatchRef {
            acquirer: unit.uploader.ledger(),
            batch_id: ledger_id.clone(),
        }),
        UnitSource::Confirmation { load_id } => load_origin(load_id)?,
    };
    let mut rows = Vec::with_capacity(outcome.summary.accepted as usize);
    for (index, (uploaded, decision)) in (0u32..).zip(unit.records.iter().zip(&outcome.decisions)) {
        let (Ok(record), Decision::Accepted { flags }) = (uploaded, decision) else {
            continue;
        };
        let asn = Asn::new(record.asn());
        let issuer = issuer_of(cache, asn)?;
        let transaction_id = match (record.counter_kind(), unit.source) {
            (CounterKind::Offline, UnitSource::Batch { ledger_id, .. }) => {
                postings.purchase(record, ledger_id, unit.uploader, issuer)?
            }
            (CounterKind::Offline, UnitSource::Confirmation { .. }) => {
                return Err(HubError::corrupt("a load confirmation cleared a purchase"));
            }
            (CounterKind::Online, _) if chain_replaced.contains(&(asn, record.atc())) => 0,
            // A replacement credit collected no cash: its money is in the float already.
            (CounterKind::Online, _)
                if storage.lifecycle().is_credit_record(
                    record.asn(),
                    record.atc(),
                    record.amount_fen(),
                    record.terminal_id(),
                )? =>
            {
                0
            }
            (CounterKind::Online, _) => {
                postings.load(record, origin.clone(), unit.uploader, issuer)?
            }
        };
        let delivery = match unit.source {
            UnitSource::Batch { key, .. } => Delivery::Batch { batch: key, index },
            UnitSource::Confirmation { load_id } => Delivery::Confirmation { load_id },
        };
        rows.push(AcceptedRow {
            record,
            flags: *flags,
            delivery,
            transaction_id,
        });
    }
    storage.insert_accepted(&rows)?;
    storage.update_cards(&outcome.changes.cards)?;
    let cause = match unit.source {
        UnitSource::Batch { key, .. } => TransitionCause::Batch(key),
        UnitSource::Confirmation { .. } => TransitionCause::Confirmation,
    };
    for transition in &outcome.changes.loads {
        let credit = transition.to == LoadState::Posted(PostedBy::CounterChain)
            && storage
                .lifecycle()
                .is_credit_load(transition.request_id.as_str())?;
        let note = match credit {
            // A replacement credit collected no cash: nothing to post.
            true => None,
            false => post_transition(transition, cache, postings)?,
        };
        storage.apply_transition(transition, cause, note, now)?;
    }
    Ok(())
}

/// Posts a load the counter chain posted; the ledger note of a transition it cannot follow.
fn post_transition(
    transition: &LoadTransition,
    cache: &ViewCache,
    postings: &mut Postings,
) -> Result<Option<&'static str>, HubError> {
    match (transition.from, transition.to) {
        (LoadState::Pending, LoadState::Posted(PostedBy::CounterChain)) => {
            let authorization = cache
                .authorizations
                .get(&transition.request_id)
                .ok_or_else(|| HubError::corrupt("a transition names a load that was not read"))?;
            let record = authorization.confirmation_record([0; 4]).map_err(|error| {
                HubError::corrupt(format!("load {}: {error}", transition.request_id))
            })?;
            let requester = ParticipantId::from_clearing(authorization.requester)?;
            let issuer = issuer_of(cache, transition.asn)?;
            let origin = load_origin(&transition.request_id)?;
            postings.load(&record, origin, requester, issuer)?;
            Ok(None)
        }
        (LoadState::Posted(PostedBy::CounterChain), LoadState::Voided) => {
            tracing::error!(
                load = %transition.request_id,
                asn = %transition.asn,
                online_atc = transition.online_atc,
                amount_fen = transition.amount_fen,
                "a load posted by the counter chain was voided by a rival record: its ledger \
                 posting stands, the operator must adjust it"
            );
            Ok(Some("counter-chain posting not reversed"))
        }
        _ => Ok(None),
    }
}
