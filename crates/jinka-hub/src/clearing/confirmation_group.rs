//! [`confirm_group`]: load confirmations confirmed together in one clearing transaction, with
//! the answers and the stored state they would have one after the other (`confirm` each).
//!
//! What makes one confirmation dear is fixed cost, not work: the participants and the ledger
//! cursor read, a view built and a card read, postings added to the ledger, each time. A group
//! reads the participants and the cursor once, decides its loads in runs over one view (one
//! prefetch for the run's cards, terminals, chain points and authorizations), applies each
//! decision in input order and adds all of its postings to the ledger once, continuing the
//! same transaction ids.
//!
//! A run holds loads of distinct cards (so distinct loads too: a load is of one card): a
//! confirmation changes only its own card and that card's loads, so none in a run can see
//! another's effect, and deciding them over one view is deciding them one after the other. A
//! load of a card already in the run ends the run (its decisions applied) and is read again,
//! so a repeated load or card sees the confirmations before it exactly as if each had been
//! committed alone.

use foldhash::HashSet;
use jinka_clearing::{Asn, KeyStore, LoadAuthorization, confirm_load};

use crate::clearing::clearing_error;
use crate::clearing::online_load::{
    Confirmed, LoadToConfirm, keep_confirmation, post_confirmation,
};
use crate::clearing::postings::Postings;
use crate::clearing::storage::{ClearingParty, ClearingStorage, LedgerCursor};
use crate::clearing::storage_view::StorageView;
use crate::clock::EpochMs;
use crate::error::HubError;

/// Confirms `loads` in order, each as `confirm` would after the ones before it: the answers
/// in order (`None`: the requester has no such load). On an error nothing of the group is
/// to be kept (the caller's transaction rolls back).
pub(crate) fn confirm_group(
    storage: &mut dyn ClearingStorage,
    loads: &[LoadToConfirm<'_>],
    keys: &dyn KeyStore,
    now: EpochMs,
) -> Result<Vec<Option<Confirmed>>, HubError> {
    let mut answers: Vec<Option<Confirmed>> = Vec::with_capacity(loads.len());
    let mut ledger = GroupLedger::default();
    let mut run = Run::default();
    for (index, load) in loads.iter().enumerate() {
        answers.push(None);
        let mut authorization = storage.authorization(load.load_id)?;
        if authorization
            .as_ref()
            .is_some_and(|found| run.cards.contains(&found.asn()))
        {
            // A load of the card (this one, or another) is in the run: read this one again
            // once the run is applied.
            run.apply(storage, loads, keys, &mut ledger, &mut answers, now)?;
            authorization = storage.authorization(load.load_id)?;
        }
        let Some(authorization) =
            authorization.filter(|found| found.requester == load.requester.clearing())
        else {
            continue;
        };
        run.cards.insert(authorization.asn());
        run.loads.push((index, authorization));
    }
    run.apply(storage, loads, keys, &mut ledger, &mut answers, now)?;
    if let Some(postings) = ledger.postings {
        storage.add_to_ledger(&postings.finish())?;
    }
    Ok(answers)
}

/// The group's ledger: the participants and the cursor, read before the first decision, and
/// the postings of every confirmation accepted, made at the first.
#[derive(Default)]
struct GroupLedger {
    read: Option<(Vec<ClearingParty>, LedgerCursor)>,
    postings: Option<Postings>,
}

impl GroupLedger {
    fn read(&mut self, storage: &mut dyn ClearingStorage, now: EpochMs) -> Result<(), HubError> {
        if self.read.is_none() {
            let parties = storage.clearing_parties()?;
            let cursor = storage.ledger_cursor(now)?;
            self.read = Some((parties, cursor));
        }
        Ok(())
    }

    fn postings(&mut self) -> Result<&mut Postings, HubError> {
        let postings = match self.postings.take() {
            Some(postings) => postings,
            None => {
                let (parties, cursor) = self.read.as_ref().ok_or_else(|| {
                    HubError::corrupt("a confirmation posted before its decision")
                })?;
                Postings::new(*cursor, parties, None)?
            }
        };
        Ok(self.postings.insert(postings))
    }
}

/// Loads to decide over one view: loads of distinct cards, each with its index in the group
/// and its authorization as read.
#[derive(Default)]
struct Run {
    cards: HashSet<Asn>,
    loads: Vec<(usize, LoadAuthorization)>,
}

impl Run {
    /// Decides the run's loads over one view, applies the decisions in order, answers them
    /// into `answers`, and empties the run.
    fn apply(
        &mut self,
        storage: &mut dyn ClearingStorage,
        group: &[LoadToConfirm<'_>],
        keys: &dyn KeyStore,
        ledger: &mut GroupLedger,
        answers: &mut [Option<Confirmed>],
        now: EpochMs,
    ) -> Result<(), HubError> {
        self.cards.clear();
        let loads = std::mem::take(&mut self.loads);
        if loads.is_empty() {
            return Ok(());
        }
        ledger.read(storage, now)?;
        let load_of = |index: usize| {
            group
                .get(index)
                .ok_or_else(|| HubError::corrupt("a confirmation run names no load"))
        };
        let view = StorageView::new(storage);
        let records: Vec<_> = loads
            .iter()
            .filter_map(|(index, authorization)| {
                let tac = group.get(*index)?.tac;
                authorization.confirmation_record(tac).ok().map(Ok)
            })
            .collect();
        view.prefetch(&records);
        let confirmations: Vec<_> = loads
            .iter()
            .map(|(index, authorization)| {
                let load = load_of(*index)?;
                Ok(confirm_load(authorization, load.tac, &view, keys))
            })
            .collect::<Result<_, HubError>>()?;
        let cache = view.finish()?;
        for ((index, _), confirmation) in loads.iter().zip(confirmations) {
            let load = load_of(*index)?;
            let confirmation = confirmation.map_err(clearing_error)?;
            let answer = match keep_confirmation(storage, load, &confirmation, now)? {
                Some(refused) => refused,
                None => {
                    let postings = ledger.postings()?;
                    post_confirmation(storage, load, &confirmation, &cache, postings, now)?;
                    Confirmed::Posted
                }
            };
            let slot = answers
                .get_mut(*index)
                .ok_or_else(|| HubError::corrupt("a confirmation run names no answer"))?;
            *slot = Some(answer);
        }
        Ok(())
    }
}
