//! Offline batch ingest (`hub.md` § Offline batch ingest): one [`Decision`] per uploaded
//! record, and the changes to the hub's state that accepting them makes, as a plain value the
//! storage layer applies in the batch's one database transaction.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use jinka_record::{CounterKind, DedupeKey, RecordError, TransactionRecord};

use crate::chain::link_holds;
use crate::counter::{CounterState, CounterStep};
use crate::decision::{Decision, Flag, Flags, RejectReason};
use crate::error::ClearingError;
use crate::identifiers::{Asn, BatchId, ParticipantId, RequestId, TerminalId};
use crate::key_store::{KeyId, KeyStore};
use crate::load_book::{LoadAuthorization, LoadState, PostedBy};
use crate::load_resolution::{Evidence, Resolution, resolve_unconfirmed, state_after_record};
use crate::registry::{CardEntry, CardStatus};
use crate::view::{ChainPoint, IngestView, LoadPoint, PurchaseIdentity};

/// The most records one batch may hold: one decision, one database transaction.
pub const BATCH_RECORDS_MAX: usize = 100_000;

/// An uploaded record as the edge read it: a record, or why it is not one (`malformed`).
pub type UploadedRecord = Result<TransactionRecord, RecordError>;

/// An acquirer's upload.
#[derive(Clone, Copy, Debug)]
pub struct Batch<'a> {
    /// The acquirer's own batch id (the storage layer keys re-uploads by it).
    pub id: &'a BatchId,
    /// The uploading acquirer, as authenticated.
    pub acquirer: ParticipantId,
    /// The records, in upload order.
    pub records: &'a [UploadedRecord],
}

/// The decisions on a batch and what they change.
///
/// # Applying it (the storage layer)
///
/// In one database transaction, serialized with any other change to the same cards (decide
/// inside the write transaction, or lock the batch's card rows in ASN order and re-decide if
/// a [`CardChange::shadow_balance_before_fen`] no longer matches):
///
/// 1. store every decision with its record (rejected ones too, with their reason: risk
///    control and reconciliation read them); [`IngestOutcome::accepted`] lists the accepted
///    records with their flags;
/// 2. insert each accepted record, a load under a unique index on (ASN, ATC), a purchase
///    under one on (ASN, terminal id, terminal serial): a conflict means the state changed
///    under the decision (roll back, decide again); the counters in 3 say which counter
///    values are used;
/// 3. write each [`CardChange`]: shadow balance and both counters' highest ATC, gaps,
///    highest record's balances ([`CounterState::highest_point`]) and the balances at their
///    gaps' edges ([`CounterState::edge_points`]; absolute values);
/// 4. apply each [`LoadTransition`] in order (check `from`), and post or reverse the load's
///    clearing entries with it;
/// 5. remember (acquirer, batch id) with the decisions, so that an identical re-upload is
///    answered with them; deciding it again would answer `duplicate` for every record accepted
///    the first time.
///
/// [`crate::MemoryView::apply`] does all this in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngestOutcome {
    /// One decision per uploaded record, in upload order.
    pub decisions: Vec<Decision>,
    /// The state changes to apply with them.
    pub changes: IngestChanges,
    /// Counts and amounts, for reconciliation.
    pub summary: BatchSummary,
}

/// The state changes of a batch, besides inserting its accepted records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngestChanges {
    /// Each card with an accepted record, in order of first appearance.
    pub cards: Vec<CardChange>,
    /// Load authorizations that changed state, in the order they did.
    pub loads: Vec<LoadTransition>,
}

/// A card's new shadow balance and counters (absolute values, so applying twice is harmless).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardChange {
    /// The card.
    pub asn: Asn,
    /// The shadow balance the decisions started from (for an optimistic concurrency check).
    pub shadow_balance_before_fen: i64,
    /// The new shadow balance.
    pub shadow_balance_after_fen: i64,
    /// The new offline counter state (highest ATC, gaps).
    pub offline: CounterState,
    /// The new online counter state.
    pub online: CounterState,
}

/// A load authorization's change of state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadTransition {
    /// Which authorization.
    pub request_id: RequestId,
    /// Its card.
    pub asn: Asn,
    /// Its online ATC.
    pub online_atc: u16,
    /// Its amount.
    pub amount_fen: u32,
    /// The state before.
    pub from: LoadState,
    /// The state after.
    pub to: LoadState,
}

/// Counts and amounts of a batch's decisions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchSummary {
    /// Records uploaded.
    pub records: u32,
    /// Records accepted.
    pub accepted: u32,
    /// Sum of the accepted purchases (simple and compound).
    pub accepted_purchases_fen: u64,
    /// Sum of the accepted load records.
    pub accepted_loads_fen: u64,
    /// Rejected records per reason, indexed by [`RejectReason::index`].
    pub rejected: [u32; 7],
    /// Accepted records per flag, in [`crate::FLAGS`] order.
    pub flagged: [u32; 3],
}

/// Decides every record of `batch` against `view`, verifying TACs through `keys`.
///
/// Deterministic: the same batch, view and keys give the same outcome; records are decided in
/// upload order, each against the view plus what the batch accepted before it. Errors only
/// when the batch is too large, the key store cannot answer, or the view is inconsistent; then
/// nothing was decided.
///
/// # Checks, in order (the first that fails names the reason)
///
/// 1. `malformed`: the record could not be read; or its algorithm id is not a profile; or
///    its balances are not ones a card can have (a purchase above the balance before, a
///    balance past [`crate::BALANCE_FEN_MAX`]).
/// 2. `unknown_terminal`, then `not_your_terminal`: the uploader may present only records of
///    its own terminals.
/// 3. `unknown_card`, then `card_closed`.
/// 4. `malformed`: the record's issuer id is not the card's.
/// 5. `bad_tac`: the TAC does not verify under the key of the card's issuer (from the
///    registry, not the record), the record's key version and the card's profile; a record
///    naming another profile or a key version the store does not have cannot verify either.
/// 6. `duplicate`: the card's counter state shows the ATC used (same ASN, counter kind, ATC
///    accepted before, in an earlier batch or earlier in this one), or the purchase's
///    (ASN, terminal, terminal serial) was accepted before under another ATC.
///
/// # Accepting
///
/// - `counter_gap` when the ATC is past the next expected one (see [`crate::CounterState`]);
///   the skipped ATCs become a gap, filled as their records arrive late (no flag then).
/// - `balance_discontinuity` when a link to a neighbour on the same counter does not hold
///   (rules at [`crate::link_holds`]); judged only against neighbours already accepted.
/// - `hotlisted_card_used` when the card is hotlisted or blocked. A replaced card's records
///   settle without a flag until the card is closed.
/// - Shadow balance: posted loads minus accepted purchases, each load counted once per online
///   ATC whether its TAC or the counter chain posted it. A sum, so independent of the order
///   records arrive in; it may go below zero while a purchase waits for its load's record.
/// - A load record resolves the authorizations at its online ATC (posted if it is theirs,
///   voided if not) and, by rule 3 of [`crate::resolve_unconfirmed`], may post by counter chain a
///   pending load at the ATC before it whose record has not arrived.
///
/// Re-deciding a batch on the state its outcome produced accepts nothing: every record
/// accepted the first time is a `duplicate`, every rejected one is rejected again.
pub fn decide_batch<V, K>(
    batch: &Batch<'_>,
    view: &V,
    keys: &K,
) -> Result<IngestOutcome, ClearingError>
where
    V: IngestView + ?Sized,
    K: KeyStore + ?Sized,
{
    if batch.records.len() > BATCH_RECORDS_MAX {
        return Err(ClearingError::BatchTooLarge {
            records: batch.records.len(),
            max: BATCH_RECORDS_MAX,
        });
    }
    decide_records(batch.acquirer, batch.records, view, keys)
}

/// [`decide_batch`] without the size check, for the hub's own one-record confirmations.
pub(crate) fn decide_records<V, K>(
    acquirer: ParticipantId,
    records: &[UploadedRecord],
    view: &V,
    keys: &K,
) -> Result<IngestOutcome, ClearingError>
where
    V: IngestView + ?Sized,
    K: KeyStore + ?Sized,
{
    let mut ingest = Ingest::new(view, keys, acquirer, records.len());
    let mut decisions = Vec::with_capacity(records.len());
    let mut summary = BatchSummary::default();
    for uploaded in records {
        let decision = match uploaded {
            Ok(record) => ingest.decide(record)?,
            Err(_) => rejected(RejectReason::Malformed),
        };
        summary.count(uploaded.as_ref().ok(), decision);
        decisions.push(decision);
    }
    Ok(IngestOutcome {
        decisions,
        changes: ingest.finish(),
        summary,
    })
}

impl IngestOutcome {
    /// The accepted records of `records` (the slice this outcome decided) with their flags.
    pub fn accepted<'r>(
        &self,
        records: &'r [UploadedRecord],
    ) -> impl Iterator<Item = (&'r TransactionRecord, Flags)> + use<'r, '_> {
        records
            .iter()
            .zip(&self.decisions)
            .filter_map(|(record, decision)| match (record, decision) {
                (Ok(record), Decision::Accepted { flags }) => Some((record, *flags)),
                _ => None,
            })
    }
}

const fn rejected(reason: RejectReason) -> Decision {
    Decision::Rejected { reason }
}

impl BatchSummary {
    fn count(&mut self, record: Option<&TransactionRecord>, decision: Decision) {
        // At most BATCH_RECORDS_MAX records of at most u32::MAX fen: the sums fit u64.
        self.records += 1;
        match (decision, record) {
            (Decision::Accepted { flags }, Some(record)) => {
                self.accepted += 1;
                let amount = u64::from(record.amount_fen());
                match record.counter_kind() {
                    CounterKind::Offline => self.accepted_purchases_fen += amount,
                    CounterKind::Online => self.accepted_loads_fen += amount,
                }
                for (count, flag) in self.flagged.iter_mut().zip(crate::FLAGS) {
                    *count += u32::from(flags.contains(flag));
                }
            }
            (Decision::Rejected { reason }, _) => self.rejected[reason.index()] += 1,
            (Decision::Accepted { .. }, None) => {}
        }
    }
}

/// A card as the batch has changed it so far.
struct CardWork {
    entry: CardEntry,
    shadow_before_fen: i64,
    /// Loads accepted in this batch (the view knows the earlier ones).
    loads: Vec<LoadPoint>,
    changed: bool,
}

/// The decisions' own account of what the batch changed so far, over the view.
struct Ingest<'a, V: ?Sized, K: ?Sized> {
    view: &'a V,
    keys: &'a K,
    acquirer: ParticipantId,
    cards: Vec<CardWork>,
    card_slots: HashMap<Asn, Option<usize>>,
    points: HashMap<DedupeKey, ChainPoint>,
    purchases: HashSet<PurchaseIdentity>,
    load_states: HashMap<RequestId, LoadState>,
    transitions: Vec<LoadTransition>,
}

impl<'a, V, K> Ingest<'a, V, K>
where
    V: IngestView + ?Sized,
    K: KeyStore + ?Sized,
{
    fn new(view: &'a V, keys: &'a K, acquirer: ParticipantId, records: usize) -> Self {
        Ingest {
            view,
            keys,
            acquirer,
            cards: Vec::new(),
            card_slots: HashMap::new(),
            points: HashMap::with_capacity(records),
            purchases: HashSet::with_capacity(records),
            load_states: HashMap::new(),
            transitions: Vec::new(),
        }
    }

    fn decide(&mut self, record: &TransactionRecord) -> Result<Decision, ClearingError> {
        let point = ChainPoint::of(record).filter(|_| record.profile().is_some());
        let Some(point) = point else {
            return Ok(rejected(RejectReason::Malformed));
        };
        match self.view.terminal(TerminalId::new(record.terminal_id())) {
            None => return Ok(rejected(RejectReason::UnknownTerminal)),
            Some(terminal) if terminal.owner != self.acquirer => {
                return Ok(rejected(RejectReason::NotYourTerminal));
            }
            Some(_) => {}
        }
        let Some(slot) = self.card_slot(Asn::new(record.asn()))? else {
            return Ok(rejected(RejectReason::UnknownCard));
        };
        let card = &self.cards[slot].entry;
        if card.status == CardStatus::Closed {
            return Ok(rejected(RejectReason::CardClosed));
        }
        if card.issuer_id.bytes() != record.issuer_id() {
            return Ok(rejected(RejectReason::Malformed));
        }
        if !self.tac_verifies(slot, record)? {
            return Ok(rejected(RejectReason::BadTac));
        }
        if self.is_duplicate(slot, record) {
            return Ok(rejected(RejectReason::Duplicate));
        }
        self.accept(slot, record, point)
    }

    fn card_slot(&mut self, asn: Asn) -> Result<Option<usize>, ClearingError> {
        if let Some(slot) = self.card_slots.get(&asn) {
            return Ok(*slot);
        }
        let slot = match self.view.card(asn) {
            Some(entry) if entry.asn != asn => {
                return Err(ClearingError::InconsistentState(
                    "the view answered another card",
                ));
            }
            Some(entry) => {
                self.cards.push(CardWork {
                    shadow_before_fen: entry.shadow_balance_fen,
                    entry,
                    loads: Vec::new(),
                    changed: false,
                });
                Some(self.cards.len() - 1)
            }
            None => None,
        };
        self.card_slots.insert(asn, slot);
        Ok(slot)
    }

    fn tac_verifies(&self, slot: usize, record: &TransactionRecord) -> Result<bool, ClearingError> {
        let card = &self.cards[slot].entry;
        let Some(profile) = record.profile().filter(|profile| *profile == card.profile) else {
            return Ok(false);
        };
        let key = KeyId {
            issuer_id: card.issuer_id,
            key_version: record.key_version(),
            profile,
        };
        let input = record.tac_input();
        match self
            .keys
            .verify_tac(&key, card.asn, input.as_bytes(), &record.tac())
        {
            Err(ClearingError::UnknownKey(_)) => Ok(false),
            verified => verified,
        }
    }

    fn is_duplicate(&self, slot: usize, record: &TransactionRecord) -> bool {
        let counter = self.cards[slot].entry.counter(record.counter_kind());
        counter.is_used(record.atc())
            || PurchaseIdentity::of(record).is_some_and(|identity| {
                self.purchases.contains(&identity) || self.view.purchase_accepted(&identity)
            })
    }

    fn accept(
        &mut self,
        slot: usize,
        record: &TransactionRecord,
        point: ChainPoint,
    ) -> Result<Decision, ClearingError> {
        let mut flags = Flags::NONE;
        let status = self.cards[slot].entry.status;
        if matches!(status, CardStatus::Hotlisted | CardStatus::Blocked) {
            flags = flags.with(Flag::HotlistedCardUsed);
        }
        if !self.chain_holds(slot, record, point) {
            flags = flags.with(Flag::BalanceDiscontinuity);
        }
        let kind = record.counter_kind();
        let counter = self.cards[slot].entry.counter_mut(kind);
        let step =
            counter
                .accept_record(record.atc(), point)
                .ok_or(ClearingError::InconsistentState(
                    "a counter refused an ATC it showed unused",
                ))?;
        if matches!(step, CounterStep::OpenedGap(_)) {
            flags = flags.with(Flag::CounterGap);
        }
        let delta_fen = match kind {
            CounterKind::Offline => -i64::from(record.amount_fen()),
            CounterKind::Online => self.settle_load(slot, record, point)?,
        };
        let work = &mut self.cards[slot];
        work.entry.shadow_balance_fen = work
            .entry
            .shadow_balance_fen
            .checked_add(delta_fen)
            .ok_or(ClearingError::ShadowBalanceOverflow(work.entry.asn))?;
        work.changed = true;
        self.points.insert(record.dedupe_key(), point);
        if let Some(identity) = PurchaseIdentity::of(record) {
            self.purchases.insert(identity);
        }
        Ok(Decision::Accepted { flags })
    }

    /// Whether the links to the record's accepted neighbours on its counter hold. A used
    /// neighbour whose balances the view does not know (history from before the card was
    /// registered) is not judged.
    fn chain_holds(&self, slot: usize, record: &TransactionRecord, point: ChainPoint) -> bool {
        let kind = record.counter_kind();
        let counter = self.cards[slot].entry.counter(kind);
        let used = |atc: Option<u16>| atc.filter(|atc| counter.is_used(*atc));
        let earlier = used(record.atc().checked_sub(1)).and_then(|atc| self.point(slot, kind, atc));
        if let Some(earlier) = earlier
            && !link_holds(kind, earlier, point, || {
                self.loads_between(slot, earlier.balance_after_fen, point.balance_before_fen)
            })
        {
            return false;
        }
        let later = used(record.atc().checked_add(1)).and_then(|atc| self.point(slot, kind, atc));
        if let Some(later) = later
            && !link_holds(kind, point, later, || {
                self.loads_between(slot, point.balance_after_fen, later.balance_before_fen)
            })
        {
            return false;
        }
        true
    }

    /// The balances of the card's accepted record at `atc`: from this batch, from the card's
    /// counter (which knows its highest record's and its gaps' edges'), or from the view.
    fn point(&self, slot: usize, kind: CounterKind, atc: u16) -> Option<ChainPoint> {
        let card = &self.cards[slot].entry;
        let key = DedupeKey {
            asn: card.asn.bytes(),
            counter_kind: kind,
            atc,
        };
        self.points
            .get(&key)
            .copied()
            .or_else(|| card.counter(kind).point_at(atc))
            .or_else(|| self.view.accepted(&key))
    }

    /// Loads that may bridge the balance `from` to `to` between two purchases: the card's
    /// last load alone when it does so by itself (the online counter knows its balances),
    /// else every load known (`loads_bridge` finds a bridge in either exactly when
    /// the last load is one).
    fn loads_between(&self, slot: usize, from: u32, to: u32) -> Vec<LoadPoint> {
        let online = &self.cards[slot].entry.online;
        if let (Some(online_atc), Some(last)) = (online.highest(), online.highest_point())
            && last.balance_before_fen == from
            && last.balance_after_fen == to
        {
            return vec![LoadPoint {
                online_atc,
                balance_before_fen: from,
                balance_after_fen: to,
            }];
        }
        self.known_loads(slot)
    }

    fn known_loads(&self, slot: usize) -> Vec<LoadPoint> {
        let work = &self.cards[slot];
        let mut loads = self.view.known_loads(work.entry.asn);
        loads.extend_from_slice(&work.loads);
        loads
    }

    /// Resolves the authorizations a load record decides; returns the shadow balance change.
    fn settle_load(
        &mut self,
        slot: usize,
        record: &TransactionRecord,
        point: ChainPoint,
    ) -> Result<i64, ClearingError> {
        let asn = Asn::new(record.asn());
        let mut delta_fen = i64::from(record.amount_fen());
        let mut claimed = false;
        for authorization in self.authorizations_at(asn, record.atc()) {
            let from = self.state_of(&authorization);
            let is_this_load = !claimed && authorization.matches(record);
            claimed |= is_this_load;
            let to = state_after_record(from, is_this_load).ok_or(
                ClearingError::InconsistentState("a load posted by its TAC has no accepted record"),
            )?;
            if from == LoadState::Posted(PostedBy::CounterChain) {
                // Counted when the chain posted it; the record (or its rival) counts now.
                delta_fen -= i64::from(authorization.request.amount_fen);
            }
            self.transition(&authorization, from, to);
        }
        let previous_atc = record.atc().checked_sub(1);
        if let Some(previous_atc) = previous_atc
            && !self.cards[slot].entry.online.is_used(previous_atc)
        {
            delta_fen += self.post_by_next_load(asn, previous_atc, record);
        }
        self.cards[slot].loads.push(LoadPoint {
            online_atc: record.atc(),
            balance_before_fen: point.balance_before_fen,
            balance_after_fen: point.balance_after_fen,
        });
        Ok(delta_fen)
    }

    /// Rule 3 of [`resolve_unconfirmed`]: the record at `previous_atc + 1` may post the pending load
    /// at `previous_atc`. Returns the shadow balance change.
    fn post_by_next_load(
        &mut self,
        asn: Asn,
        previous_atc: u16,
        record: &TransactionRecord,
    ) -> i64 {
        let authorizations = self.authorizations_at(asn, previous_atc);
        let live = authorizations
            .iter()
            .filter(|authorization| self.state_of(authorization) != LoadState::Voided)
            .count();
        let mut delta_fen = 0;
        for mut authorization in authorizations {
            authorization.state = self.state_of(&authorization);
            let evidence = Evidence::NextLoad {
                record,
                rival_authorizations: live.saturating_sub(1),
            };
            if let Resolution::Post(by) = resolve_unconfirmed(&authorization, &evidence) {
                delta_fen += i64::from(authorization.request.amount_fen);
                self.transition(&authorization, LoadState::Pending, LoadState::Posted(by));
            }
        }
        delta_fen
    }

    fn authorizations_at(&self, asn: Asn, online_atc: u16) -> Vec<LoadAuthorization> {
        let mut found = self.view.at_atc(asn, online_atc);
        found.retain(|a| a.asn() == asn && a.online_atc() == online_atc);
        found.sort_unstable_by(|a, b| a.request.request_id.cmp(&b.request.request_id));
        found
    }

    fn state_of(&self, authorization: &LoadAuthorization) -> LoadState {
        self.load_states
            .get(&authorization.request.request_id)
            .copied()
            .unwrap_or(authorization.state)
    }

    fn transition(&mut self, authorization: &LoadAuthorization, from: LoadState, to: LoadState) {
        if from == to {
            return;
        }
        let request_id = authorization.request.request_id.clone();
        self.load_states.insert(request_id.clone(), to);
        self.transitions.push(LoadTransition {
            request_id,
            asn: authorization.asn(),
            online_atc: authorization.online_atc(),
            amount_fen: authorization.request.amount_fen,
            from,
            to,
        });
    }

    fn finish(self) -> IngestChanges {
        let cards = self
            .cards
            .into_iter()
            .filter(|work| work.changed)
            .map(|work| CardChange {
                asn: work.entry.asn,
                shadow_balance_before_fen: work.shadow_before_fen,
                shadow_balance_after_fen: work.entry.shadow_balance_fen,
                offline: work.entry.offline,
                online: work.entry.online,
            })
            .collect();
        IngestChanges {
            cards,
            loads: self.transitions,
        }
    }
}
