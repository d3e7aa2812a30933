//! [`StorageView`]: the hub's state as `jinka-clearing`'s decisions read it ([`IngestView`],
//! [`LoadBook`]), over a [`ClearingStorage`] inside the unit's write transaction, so every
//! answer is as of the start of the unit.
//!
//! The views' methods cannot fail, storage can: each answer is read once and cached, and the
//! first storage error is kept and returned by [`StorageView::finish`], which the caller
//! checks before using any decision (a decision made on a failed read is thrown away with the
//! transaction). [`StorageView::prefetch`] reads what a batch will certainly need (its cards,
//! its terminals, the chain points next to its records, its purchases' identities, the
//! authorizations at its loads' counters) before the decisions run.

use std::cell::RefCell;

use foldhash::{HashMap, HashSet, HashSetExt};
use jinka_clearing::{
    Asn, CardEntry, ChainPoint, IngestView, LoadAuthorization, LoadBook, LoadPoint, LoadState,
    PurchaseIdentity, RequestId, TerminalEntry, TerminalId, UploadedRecord,
};
use jinka_record::{CounterKind, DedupeKey};

use crate::clearing::storage::ClearingStorage;
use crate::error::HubError;

/// Reads through storage, each answer once.
pub(crate) struct StorageView<'s> {
    storage: RefCell<&'s mut dyn ClearingStorage>,
    failure: RefCell<Option<HubError>>,
    cards: RefCell<HashMap<Asn, Option<CardEntry>>>,
    terminals: RefCell<HashMap<TerminalId, Option<TerminalEntry>>>,
    points: RefCell<HashMap<DedupeKey, Option<ChainPoint>>>,
    purchases: RefCell<HashMap<PurchaseIdentity, bool>>,
    highest_serials: RefCell<HashMap<TerminalId, Option<u32>>>,
    at_atc: RefCell<HashMap<(Asn, u16), Vec<LoadAuthorization>>>,
    by_request: RefCell<HashMap<RequestId, Option<LoadAuthorization>>>,
}

/// What the decisions read, kept for applying their outcome (the cards' issuers, the
/// authorizations a transition names).
pub(crate) struct ViewCache {
    pub(crate) cards: HashMap<Asn, CardEntry>,
    pub(crate) authorizations: HashMap<RequestId, LoadAuthorization>,
}

impl<'s> StorageView<'s> {
    pub(crate) fn new(storage: &'s mut dyn ClearingStorage) -> StorageView<'s> {
        StorageView {
            storage: RefCell::new(storage),
            failure: RefCell::new(None),
            cards: RefCell::default(),
            terminals: RefCell::default(),
            points: RefCell::default(),
            purchases: RefCell::default(),
            highest_serials: RefCell::default(),
            at_atc: RefCell::default(),
            by_request: RefCell::default(),
        }
    }

    /// Runs `query` on storage; on an error keeps the first one and answers `fallback`.
    fn read<T>(
        &self,
        fallback: T,
        query: impl FnOnce(&mut dyn ClearingStorage) -> Result<T, HubError>,
    ) -> T {
        if self.failure.borrow().is_some() {
            return fallback;
        }
        let mut storage = self.storage.borrow_mut();
        match query(&mut **storage) {
            Ok(value) => value,
            Err(error) => {
                *self.failure.borrow_mut() = Some(error);
                fallback
            }
        }
    }

    /// Reads what deciding `records` needs, ahead of the decisions: the batch's cards and
    /// terminals, then the chain points next to its records and its terminals' highest
    /// serials, each list in one storage call (`ClearingStorage::card_entries`, ...).
    ///
    /// Each list is read in the order of its table's key (cards and chain points by ASN,
    /// purchase identities by terminal and serial, as the index `accepted_purchases`): the
    /// records of a batch name cards all over the table, and reading them in key order walks
    /// each b-tree page once instead of fetching it again for every record on it (at a
    /// million cards the tables are many times the engine's page cache). What is read goes
    /// into maps, so the order changes no decision.
    pub(crate) fn prefetch(&self, records: &[UploadedRecord]) {
        let readable = || records.iter().flatten();
        self.prefetch_cards(sorted_unique(
            readable().map(|record| Asn::new(record.asn())),
        ));
        self.prefetch_terminals(unique(
            readable().map(|record| TerminalId::new(record.terminal_id())),
        ));
        let mut keys = Vec::new();
        let mut serial_terminals = Vec::new();
        let mut identities = Vec::new();
        let mut online_atcs = Vec::new();
        for record in readable() {
            let asn = Asn::new(record.asn());
            let Some(card) = self.cards.borrow().get(&asn).cloned().flatten() else {
                continue;
            };
            let kind = record.counter_kind();
            let counter = card.counter(kind);
            // A counter value the card has used already is a duplicate: decided from the
            // counter alone (a batch only adds used values), it reads no chain point, purchase
            // identity or authorization. Each load a terminal confirmed online comes again in
            // its batch so: at a million cards, a million such records a day.
            if counter.is_used(record.atc()) {
                continue;
            }
            let neighbours = [record.atc().checked_sub(1), record.atc().checked_add(1)];
            for atc in neighbours.into_iter().flatten() {
                // The counter knows the balances of its highest record and of those at its
                // gaps' edges (a late record's neighbours): no read for those.
                if counter.is_used(atc) && counter.point_at(atc).is_none() {
                    keys.push(DedupeKey {
                        asn: asn.bytes(),
                        counter_kind: kind,
                        atc,
                    });
                }
            }
            match (PurchaseIdentity::of(record), kind) {
                // A card with no accepted purchase has no accepted purchase identity.
                (Some(identity), _) if card.offline.highest().is_some() => {
                    serial_terminals.push(identity.terminal_id);
                    identities.push(identity);
                }
                (_, CounterKind::Online) => {
                    online_atcs.push((asn, record.atc()));
                    if let Some(previous) = record.atc().checked_sub(1) {
                        online_atcs.push((asn, previous));
                    }
                }
                _ => {}
            }
        }
        self.prefetch_points(sorted_unique(keys.into_iter()));
        self.prefetch_highest_serials(unique(serial_terminals.into_iter()));
        for (asn, online_atc) in sorted_unique(online_atcs.into_iter()) {
            self.at_atc(asn, online_atc);
        }
        // In the order of the index `accepted_purchases` (terminal, serial, ASN).
        identities.sort_unstable_by_key(|identity| {
            (identity.terminal_id, identity.terminal_serial, identity.asn)
        });
        identities.dedup();
        for identity in &identities {
            self.purchase_accepted(identity);
        }
    }

    fn prefetch_cards(&self, asns: Vec<Asn>) {
        let asns: Vec<Asn> = {
            let cached = self.cards.borrow();
            asns.into_iter()
                .filter(|asn| !cached.contains_key(asn))
                .collect()
        };
        if asns.is_empty() {
            return;
        }
        let Some(found) = self.read(None, |storage| storage.card_entries(&asns).map(Some)) else {
            return;
        };
        let mut cards = self.cards.borrow_mut();
        cards.extend(asns.into_iter().map(|asn| (asn, None)));
        cards.extend(found.into_iter().map(|card| (card.asn, Some(card))));
    }

    fn prefetch_terminals(&self, ids: Vec<TerminalId>) {
        let ids: Vec<TerminalId> = {
            let cached = self.terminals.borrow();
            ids.into_iter()
                .filter(|id| !cached.contains_key(id))
                .collect()
        };
        if ids.is_empty() {
            return;
        }
        let Some(found) = self.read(None, |storage| storage.terminal_entries(&ids).map(Some))
        else {
            return;
        };
        let mut terminals = self.terminals.borrow_mut();
        terminals.extend(ids.into_iter().map(|id| (id, None)));
        terminals.extend(
            found
                .into_iter()
                .map(|terminal| (terminal.terminal_id, Some(terminal))),
        );
    }

    fn prefetch_points(&self, keys: Vec<DedupeKey>) {
        let keys: Vec<DedupeKey> = {
            let cached = self.points.borrow();
            keys.into_iter()
                .filter(|key| !cached.contains_key(key))
                .collect()
        };
        if keys.is_empty() {
            return;
        }
        let Some(found) = self.read(None, |storage| storage.accepted_records(&keys).map(Some))
        else {
            return;
        };
        let mut points = self.points.borrow_mut();
        points.extend(keys.into_iter().map(|key| (key, None)));
        points.extend(
            found
                .iter()
                .map(|record| (record.dedupe_key(), ChainPoint::of(record))),
        );
    }

    fn prefetch_highest_serials(&self, ids: Vec<TerminalId>) {
        let ids: Vec<TerminalId> = {
            let cached = self.highest_serials.borrow();
            ids.into_iter()
                .filter(|id| !cached.contains_key(id))
                .collect()
        };
        if ids.is_empty() {
            return;
        }
        let Some(found) = self.read(None, |storage| storage.highest_serials(&ids).map(Some)) else {
            return;
        };
        let mut highest = self.highest_serials.borrow_mut();
        highest.extend(ids.into_iter().map(|id| (id, None)));
        highest.extend(found.into_iter().map(|(id, serial)| (id, Some(serial))));
    }

    /// Whether a purchase with `identity` may have been accepted: not if its serial is above
    /// every accepted serial of its terminal (a SAM's serials only grow, so a terminal's new
    /// purchases need no lookup one by one).
    fn may_be_accepted(&self, identity: &PurchaseIdentity) -> bool {
        let terminal = identity.terminal_id;
        let cached = self.highest_serials.borrow().get(&terminal).copied();
        let highest = match cached {
            Some(highest) => highest,
            None => {
                let highest = self.read(Some(u32::MAX), |storage| storage.highest_serial(terminal));
                self.highest_serials.borrow_mut().insert(terminal, highest);
                highest
            }
        };
        highest.is_some_and(|highest| identity.terminal_serial <= highest)
    }

    /// The first storage error, or what was read.
    pub(crate) fn finish(self) -> Result<ViewCache, HubError> {
        if let Some(error) = self.failure.into_inner() {
            return Err(error);
        }
        let cards = self
            .cards
            .into_inner()
            .into_iter()
            .filter_map(|(asn, card)| card.map(|card| (asn, card)))
            .collect();
        let mut authorizations: HashMap<RequestId, LoadAuthorization> = self
            .by_request
            .into_inner()
            .into_iter()
            .filter_map(|(id, found)| found.map(|found| (id, found)))
            .collect();
        for found in self.at_atc.into_inner().into_values().flatten() {
            authorizations
                .entry(found.request.request_id.clone())
                .or_insert(found);
        }
        Ok(ViewCache {
            cards,
            authorizations,
        })
    }
}

/// The distinct items of `items`, in ascending order (their tables' key order).
fn sorted_unique<T: Ord>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut items: Vec<T> = items.collect();
    items.sort_unstable();
    items.dedup();
    items
}

/// The distinct items of `items`, in first-seen order.
fn unique<T: Copy + Eq + std::hash::Hash>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut seen = HashSet::new();
    items.filter(|item| seen.insert(*item)).collect()
}

impl LoadBook for StorageView<'_> {
    fn by_request_id(&self, request_id: &RequestId) -> Option<LoadAuthorization> {
        if let Some(found) = self.by_request.borrow().get(request_id) {
            return found.clone();
        }
        let found = self.read(None, |storage| storage.authorization(request_id));
        self.by_request
            .borrow_mut()
            .insert(request_id.clone(), found.clone());
        found
    }

    fn at_atc(&self, asn: Asn, online_atc: u16) -> Vec<LoadAuthorization> {
        if let Some(found) = self.at_atc.borrow().get(&(asn, online_atc)) {
            return found.clone();
        }
        let found = self.read(Vec::new(), |storage| {
            storage.card_authorizations(asn, Some(online_atc))
        });
        self.at_atc
            .borrow_mut()
            .insert((asn, online_atc), found.clone());
        found
    }
}

impl IngestView for StorageView<'_> {
    fn card(&self, asn: Asn) -> Option<CardEntry> {
        if let Some(card) = self.cards.borrow().get(&asn) {
            return card.clone();
        }
        let card = self.read(None, |storage| storage.card_entry(asn));
        self.cards.borrow_mut().insert(asn, card.clone());
        card
    }

    fn terminal(&self, terminal_id: TerminalId) -> Option<TerminalEntry> {
        if let Some(terminal) = self.terminals.borrow().get(&terminal_id) {
            return *terminal;
        }
        let terminal = self.read(None, |storage| storage.terminal_entry(terminal_id));
        self.terminals.borrow_mut().insert(terminal_id, terminal);
        terminal
    }

    fn accepted(&self, key: &DedupeKey) -> Option<ChainPoint> {
        if let Some(point) = self.points.borrow().get(key) {
            return *point;
        }
        let record = self.read(None, |storage| storage.accepted_record(key));
        let point = record.as_ref().and_then(ChainPoint::of);
        self.points.borrow_mut().insert(*key, point);
        point
    }

    fn purchase_accepted(&self, identity: &PurchaseIdentity) -> bool {
        if let Some(accepted) = self.purchases.borrow().get(identity) {
            return *accepted;
        }
        if !self.may_be_accepted(identity) {
            return false;
        }
        let accepted = self.read(false, |storage| storage.purchase_accepted(identity));
        self.purchases.borrow_mut().insert(*identity, accepted);
        accepted
    }

    fn known_loads(&self, asn: Asn) -> Vec<LoadPoint> {
        // Rare (a purchase whose balance before is above its predecessor's balance after):
        // read whole, not cached.
        let records = self.read(Vec::new(), |storage| storage.accepted_loads(asn));
        let authorizations =
            self.read(Vec::new(), |storage| storage.card_authorizations(asn, None));
        let recorded = records.iter().filter_map(|record| {
            ChainPoint::of(record).map(|point| LoadPoint {
                online_atc: record.atc(),
                balance_before_fen: point.balance_before_fen,
                balance_after_fen: point.balance_after_fen,
            })
        });
        let authorized = authorizations
            .iter()
            .filter(|authorization| authorization.state != LoadState::Voided)
            .filter_map(LoadAuthorization::load_point);
        recorded.chain(authorized).collect()
    }
}
