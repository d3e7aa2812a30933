//! The hub's state in memory: an [`IngestView`] and [`LoadBook`] for tests and the
//! simulation, and the reference for what the storage layer does with the decisions' outputs
//! ([`MemoryView::apply`], [`MemoryView::insert_authorization`],
//! [`MemoryView::apply_resolved`]).

use std::collections::{HashMap, HashSet};

use jinka_record::{CounterKind, DedupeKey};

use crate::error::ClearingError;
use crate::identifiers::{Asn, RequestId, TerminalId};
use crate::ingest::{IngestOutcome, LoadTransition, UploadedRecord};
use crate::load_book::{LoadAuthorization, LoadBook, LoadState};
use crate::load_resolution::ResolvedLoad;
use crate::registry::{CardEntry, TerminalEntry};
use crate::view::{ChainPoint, IngestView, LoadPoint, PurchaseIdentity};

/// The registry, accepted records and load authorizations, in hash maps.
#[derive(Clone, Debug, Default)]
pub struct MemoryView {
    cards: HashMap<Asn, CardEntry>,
    terminals: HashMap<TerminalId, TerminalEntry>,
    accepted: HashMap<DedupeKey, ChainPoint>,
    purchases: HashSet<PurchaseIdentity>,
    record_loads: HashMap<Asn, Vec<LoadPoint>>,
    authorizations: HashMap<RequestId, LoadAuthorization>,
    authorizations_at: HashMap<(Asn, u16), Vec<RequestId>>,
    authorizations_of: HashMap<Asn, Vec<RequestId>>,
}

impl MemoryView {
    /// An empty hub.
    pub fn new() -> MemoryView {
        MemoryView::default()
    }

    /// Registers (or replaces) a card.
    pub fn insert_card(&mut self, card: CardEntry) {
        self.cards.insert(card.asn, card);
    }

    /// Registers (or replaces) a terminal.
    pub fn insert_terminal(&mut self, terminal: TerminalEntry) {
        self.terminals.insert(terminal.terminal_id, terminal);
    }

    /// The registered card.
    pub fn registered_card(&self, asn: Asn) -> Option<&CardEntry> {
        self.cards.get(&asn)
    }

    /// The registered terminal.
    pub fn registered_terminal(&self, terminal_id: TerminalId) -> Option<&TerminalEntry> {
        self.terminals.get(&terminal_id)
    }

    /// The authorization answered for a request id.
    pub fn authorization(&self, request_id: &RequestId) -> Option<&LoadAuthorization> {
        self.authorizations.get(request_id)
    }

    /// How many records were accepted in all.
    pub fn accepted_records(&self) -> usize {
        self.accepted.len()
    }

    /// Stores a new authorization (an approval not replayed). A request id is stored once.
    pub fn insert_authorization(
        &mut self,
        authorization: LoadAuthorization,
    ) -> Result<(), ClearingError> {
        let id = authorization.request.request_id.clone();
        if self.authorizations.contains_key(&id) {
            return Err(ClearingError::InconsistentState(
                "a request id is stored once",
            ));
        }
        self.authorizations_at
            .entry((authorization.asn(), authorization.online_atc()))
            .or_default()
            .push(id.clone());
        self.authorizations_of
            .entry(authorization.asn())
            .or_default()
            .push(id.clone());
        self.authorizations.insert(id, authorization);
        Ok(())
    }

    /// Applies a batch's outcome: inserts its accepted records, writes its card changes and
    /// load transitions. All or nothing: everything is checked before anything changes.
    pub fn apply(
        &mut self,
        records: &[UploadedRecord],
        outcome: &IngestOutcome,
    ) -> Result<(), ClearingError> {
        if records.len() != outcome.decisions.len() {
            return Err(ClearingError::InconsistentState("one decision per record"));
        }
        let accepted: Vec<_> = outcome
            .accepted(records)
            .map(|(record, _)| record)
            .collect();
        self.check(&accepted, outcome)?;
        for record in accepted {
            let point = ChainPoint::of(record).ok_or(ClearingError::InconsistentState(
                "an accepted record has a chain point",
            ))?;
            self.accepted.insert(record.dedupe_key(), point);
            if let Some(identity) = PurchaseIdentity::of(record) {
                self.purchases.insert(identity);
            }
            if record.counter_kind() == CounterKind::Online {
                self.record_loads
                    .entry(Asn::new(record.asn()))
                    .or_default()
                    .push(LoadPoint {
                        online_atc: record.atc(),
                        balance_before_fen: point.balance_before_fen,
                        balance_after_fen: point.balance_after_fen,
                    });
            }
        }
        for change in &outcome.changes.cards {
            if let Some(card) = self.cards.get_mut(&change.asn) {
                card.shadow_balance_fen = change.shadow_balance_after_fen;
                card.offline = change.offline.clone();
                card.online = change.online.clone();
            }
        }
        for transition in &outcome.changes.loads {
            self.set_state(transition);
        }
        Ok(())
    }

    /// What a database's unique indexes and optimistic checks would refuse.
    fn check(
        &self,
        accepted: &[&jinka_record::TransactionRecord],
        outcome: &IngestOutcome,
    ) -> Result<(), ClearingError> {
        let fresh = accepted
            .iter()
            .all(|r| !self.accepted.contains_key(&r.dedupe_key()));
        let current = outcome.changes.cards.iter().all(|change| {
            self.cards
                .get(&change.asn)
                .is_some_and(|card| card.shadow_balance_fen == change.shadow_balance_before_fen)
        });
        let mut states: HashMap<&RequestId, LoadState> = HashMap::new();
        let mut transitions_follow = true;
        for transition in &outcome.changes.loads {
            let state = states.get(&transition.request_id).copied().or_else(|| {
                self.authorizations
                    .get(&transition.request_id)
                    .map(|a| a.state)
            });
            transitions_follow &= state == Some(transition.from);
            states.insert(&transition.request_id, transition.to);
        }
        if fresh && current && transitions_follow {
            Ok(())
        } else {
            Err(ClearingError::InconsistentState(
                "the outcome was decided on another state",
            ))
        }
    }

    fn set_state(&mut self, transition: &LoadTransition) {
        if let Some(authorization) = self.authorizations.get_mut(&transition.request_id) {
            authorization.state = transition.to;
        }
    }

    /// Applies a resolution of a pending load (from [`crate::resolved`]).
    pub fn apply_resolved(&mut self, resolved: &ResolvedLoad) -> Result<(), ClearingError> {
        let transition = &resolved.transition;
        let state = self
            .authorizations
            .get(&transition.request_id)
            .map(|a| a.state);
        let card = self.cards.get_mut(&transition.asn);
        let (Some(card), true) = (card, state == Some(transition.from)) else {
            return Err(ClearingError::InconsistentState(
                "the resolution was decided on another state",
            ));
        };
        card.shadow_balance_fen = card
            .shadow_balance_fen
            .checked_add(resolved.shadow_balance_delta_fen)
            .ok_or(ClearingError::ShadowBalanceOverflow(transition.asn))?;
        self.set_state(transition);
        Ok(())
    }
}

impl LoadBook for MemoryView {
    fn by_request_id(&self, request_id: &RequestId) -> Option<LoadAuthorization> {
        self.authorizations.get(request_id).cloned()
    }

    fn at_atc(&self, asn: Asn, online_atc: u16) -> Vec<LoadAuthorization> {
        self.authorizations_at
            .get(&(asn, online_atc))
            .into_iter()
            .flatten()
            .filter_map(|id| self.authorizations.get(id).cloned())
            .collect()
    }
}

impl IngestView for MemoryView {
    fn card(&self, asn: Asn) -> Option<CardEntry> {
        self.cards.get(&asn).cloned()
    }

    fn terminal(&self, terminal_id: TerminalId) -> Option<TerminalEntry> {
        self.terminals.get(&terminal_id).copied()
    }

    fn accepted(&self, key: &DedupeKey) -> Option<ChainPoint> {
        self.accepted.get(key).copied()
    }

    fn purchase_accepted(&self, identity: &PurchaseIdentity) -> bool {
        self.purchases.contains(identity)
    }

    fn known_loads(&self, asn: Asn) -> Vec<LoadPoint> {
        let authorized = self
            .authorizations_of
            .get(&asn)
            .into_iter()
            .flatten()
            .filter_map(|id| self.authorizations.get(id))
            .filter(|a| a.state != LoadState::Voided)
            .filter_map(LoadAuthorization::load_point);
        let recorded = self.record_loads.get(&asn).into_iter().flatten().copied();
        authorized.chain(recorded).collect()
    }
}
