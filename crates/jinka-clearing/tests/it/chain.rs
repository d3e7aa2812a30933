//! The balance chain: cloned cards and tampered balances raise `balance_discontinuity`;
//! genuine chains, in any arrival order, do not.

use std::cell::Cell;

use jinka_clearing::{
    Asn, Batch, CardEntry, ChainPoint, Decision, Flag, IngestView, LoadAuthorization, LoadBook,
    LoadPoint, MemoryView, PurchaseIdentity, RejectReason, RequestId, TerminalEntry, TerminalId,
    UploadedRecord, decide_batch,
};
use jinka_crypto::Profile;
use jinka_record::{DedupeKey, TransactionRecord};

use crate::support::{ACQUIRER, CardSim, Hub, accepted, batch_id, changed, rejected};

fn discontinuity() -> Decision {
    Decision::Accepted {
        flags: [Flag::BalanceDiscontinuity].into_iter().collect(),
    }
}

/// Two chips with one state (balance, ATCs) spend apart; each chain on its own is genuine.
fn cloned(first_spends: [u32; 3], second_spends: [u32; 4]) -> Vec<Decision> {
    let mut hub = Hub::new();
    let mut original = CardSim::new(21, Profile::Sm4, 10_000);
    hub.issue(&original);
    let mut clone = original.clone();
    clone.serial = 1_000; // another terminal's serials, in effect
    let first: Vec<_> = first_spends.iter().map(|a| original.purchase(*a)).collect();
    let second: Vec<_> = second_spends.iter().map(|a| clone.purchase(*a)).collect();
    let mut decisions = hub.upload(&first);
    decisions.extend(hub.upload(&second));
    decisions
}

#[test]
fn a_cloned_card_raises_balance_discontinuity() {
    // The clone spends less than the original: its fourth purchase claims more money than
    // the original chain left, and no load explains it.
    assert_eq!(
        cloned([500, 500, 500], [100, 100, 100, 100]),
        [
            accepted(),
            accepted(),
            accepted(),
            rejected(RejectReason::Duplicate),
            rejected(RejectReason::Duplicate),
            rejected(RejectReason::Duplicate),
            discontinuity(),
        ]
    );
    // The clone spends more: its fourth purchase starts below what the original left.
    assert_eq!(
        cloned([100, 100, 100], [500, 500, 500, 500])[6],
        discontinuity()
    );
}

#[test]
fn a_record_arriving_late_is_judged_against_both_neighbours() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(22, Profile::Sm4, 10_000);
    hub.issue(&card);
    let records: Vec<_> = (0..3).map(|_| card.purchase(1_000)).collect();
    // A tampered middle record arrives last: its balance before matches neither side.
    let tampered = changed(&records[1], |f| f.balance_before_fen = 8_500);
    let decisions = hub.upload(&[records[0], records[2]]);
    assert!(decisions[1].flags().contains(Flag::CounterGap));
    assert_eq!(hub.upload(&[tampered]), [discontinuity()]);

    // Genuine, the same arrival order is quiet.
    let mut hub = Hub::new();
    hub.issue(&card);
    hub.upload(&[records[2], records[0]]);
    assert_eq!(hub.upload(&[records[1]]), [accepted()]);
}

#[test]
fn money_appearing_between_purchases_needs_a_known_load() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(23, Profile::Sm4, 1_000);
    hub.issue(&card);
    let first = card.purchase(100);
    // A load the hub never authorized (say, by a rogue authorizer): money from nowhere.
    card.balance_fen += 5_000;
    let second = card.purchase(100);
    assert_eq!(hub.upload(&[first, second]), [accepted(), discontinuity()]);

    // With the hub's authorization, the same jump is a load between two purchases: quiet,
    // whether or not the load's record has arrived.
    let mut hub = Hub::new();
    let mut card = CardSim::new(24, Profile::Sm4, 1_000);
    hub.issue(&card);
    let first = card.purchase(100);
    let load = card.load(&mut hub, "l-1", 5_000);
    let second = card.purchase(100);
    assert_eq!(hub.upload(&[first, second]), [accepted(), accepted()]);
    assert_eq!(hub.upload(&[load]), [accepted()]);
}

#[test]
fn loads_link_only_downwards() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(25, Profile::Sm4, 0);
    hub.issue(&card);
    let first = card.load(&mut hub, "l-1", 1_000);
    let purchase = card.purchase(300);
    let second = card.load(&mut hub, "l-2", 1_000);
    // The second load arrives first (a gap on the online counter), then what lies before it.
    let decisions = hub.upload(&[second, purchase, first]);
    assert_eq!(
        decisions[0].flags().iter().collect::<Vec<_>>(),
        [Flag::CounterGap]
    );
    assert_eq!(decisions[1..], [accepted(), accepted()]);
    // A load whose balance before is above the previous load's balance after cannot be.
    let mut hub = Hub::new();
    let mut card = CardSim::new(26, Profile::Sm4, 0);
    hub.issue(&card);
    let first = card.load(&mut hub, "l-1", 1_000);
    card.balance_fen += 1;
    let second = card.load(&mut hub, "l-2", 1_000);
    assert_eq!(hub.upload(&[first, second]), [accepted(), discontinuity()]);
}

/// The hub's view, counting the reads of stored records a balance chain check makes.
struct Counting<'a> {
    view: &'a MemoryView,
    records_read: Cell<u32>,
    loads_read: Cell<u32>,
}

impl LoadBook for Counting<'_> {
    fn by_request_id(&self, request_id: &RequestId) -> Option<LoadAuthorization> {
        self.view.by_request_id(request_id)
    }

    fn at_atc(&self, asn: Asn, online_atc: u16) -> Vec<LoadAuthorization> {
        self.view.at_atc(asn, online_atc)
    }
}

impl IngestView for Counting<'_> {
    fn card(&self, asn: Asn) -> Option<CardEntry> {
        self.view.card(asn)
    }

    fn terminal(&self, terminal_id: TerminalId) -> Option<TerminalEntry> {
        self.view.terminal(terminal_id)
    }

    fn accepted(&self, key: &DedupeKey) -> Option<ChainPoint> {
        self.records_read.set(self.records_read.get() + 1);
        self.view.accepted(key)
    }

    fn purchase_accepted(&self, identity: &PurchaseIdentity) -> bool {
        self.view.purchase_accepted(identity)
    }

    fn known_loads(&self, asn: Asn) -> Vec<LoadPoint> {
        self.loads_read.set(self.loads_read.get() + 1);
        self.view.known_loads(asn)
    }
}

/// The decisions of `records` over `view`, and how many record and load reads they made.
fn decide_counting(
    hub: &Hub,
    view: &MemoryView,
    records: &[TransactionRecord],
) -> (Vec<Decision>, u32, u32) {
    let records: Vec<UploadedRecord> = records.iter().copied().map(Ok).collect();
    let id = batch_id();
    let batch = Batch {
        id: &id,
        acquirer: ACQUIRER,
        records: &records,
    };
    let counting = Counting {
        view,
        records_read: Cell::new(0),
        loads_read: Cell::new(0),
    };
    let outcome = decide_batch(&batch, &counting, &hub.keys).expect("decided");
    (
        outcome.decisions,
        counting.records_read.get(),
        counting.loads_read.get(),
    )
}

#[test]
fn the_counters_keep_the_balances_a_new_record_chains_on_to() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(27, Profile::Sm4, 1_000);
    hub.issue(&card);
    let first = card.purchase(100);
    let load = card.load(&mut hub, "l-1", 5_000);
    assert_eq!(hub.upload(&[first, load]), [accepted(), accepted()]);
    let point = |before, after| ChainPoint {
        balance_before_fen: before,
        balance_after_fen: after,
    };
    let stored = hub.card(card.asn).clone();
    assert_eq!(stored.offline.point_at(0), Some(point(1_000, 900)));
    assert_eq!(stored.online.point_at(0), Some(point(900, 5_900)));

    // The next purchase (5,900 fen before): its predecessor's balances and the load that
    // bridges them come from the counters, with no record read.
    let genuine = card.purchase(100);
    let forged = changed(&genuine, |fields| fields.balance_before_fen += 1);
    assert_eq!(
        decide_counting(&hub, &hub.view, &[genuine]),
        (vec![accepted()], 0, 0)
    );

    // A card stored before the counters kept balances: the same decisions, from the
    // records; a broken chain is flagged either way.
    let mut unknown = hub.view.clone();
    let mut entry = stored.clone();
    entry.offline = entry.offline.with_highest_point(None).unwrap();
    entry.online = entry.online.with_highest_point(None).unwrap();
    unknown.insert_card(entry);
    assert_eq!(
        decide_counting(&hub, &unknown, &[genuine]),
        (vec![accepted()], 1, 1)
    );
    for view in [&hub.view, &unknown] {
        let (decisions, _, _) = decide_counting(&hub, view, &[forged]);
        assert_eq!(decisions, [discontinuity()]);
    }
}
