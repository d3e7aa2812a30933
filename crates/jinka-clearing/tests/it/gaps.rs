//! Counter gaps: opened by a record past the next ATC, tracked across batches, filled by late
//! records.

use jinka_clearing::{AtcRange, Decision, Flag, RejectReason};
use jinka_crypto::Profile;

use crate::support::{CardSim, Hub, accepted, rejected};

fn gap() -> Decision {
    Decision::Accepted {
        flags: [Flag::CounterGap].into_iter().collect(),
    }
}

fn range(first: u16, last: u16) -> AtcRange {
    AtcRange::new(first, last).unwrap()
}

#[test]
fn gaps_open_and_fill_as_late_records_arrive() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(11, Profile::Sm4, 10_000);
    hub.issue(&card);
    let purchases: Vec<_> = (0..8).map(|i| card.purchase(100 + i)).collect();
    // 0, 1 arrive; 2..=4 stay with an offline terminal; 5, 7 arrive; 6 is lost for now.
    assert_eq!(
        hub.upload(&[purchases[0], purchases[1], purchases[5], purchases[7]]),
        [accepted(), accepted(), gap(), gap()]
    );
    let entry = hub.card(card.asn);
    assert_eq!(entry.offline.highest(), Some(7));
    assert_eq!(entry.offline.gaps(), [range(2, 4), range(6, 6)]);
    assert_eq!(entry.offline.missing(), 4);

    // The late ones fill their gaps without a flag; a replay among them is still a duplicate.
    assert_eq!(
        hub.upload(&[purchases[3], purchases[5], purchases[6]]),
        [accepted(), rejected(RejectReason::Duplicate), accepted()]
    );
    assert_eq!(
        hub.card(card.asn).offline.gaps(),
        [range(2, 2), range(4, 4)]
    );
    assert_eq!(
        hub.upload(&[purchases[4], purchases[2]]),
        [accepted(), accepted()]
    );
    let entry = hub.card(card.asn);
    assert!(entry.offline.gaps().is_empty());
    let spent: i64 = (0..8).map(|i| 100 + i).sum();
    assert_eq!(entry.shadow_balance_fen, -spent);
}

#[test]
fn a_new_card_whose_first_record_is_past_zero_has_a_gap_from_zero() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(12, Profile::Des3, 10_000);
    hub.issue(&card);
    let first = card.purchase(1);
    let second = card.purchase(1);
    assert_eq!(hub.upload(&[second]), [gap()]);
    assert_eq!(hub.card(card.asn).offline.gaps(), [range(0, 0)]);
    assert_eq!(hub.upload(&[first]), [accepted()]);
    assert!(hub.card(card.asn).offline.gaps().is_empty());
}

#[test]
fn each_counter_has_its_own_gaps() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(13, Profile::Sm4, 0);
    hub.issue(&card);
    let loads: Vec<_> = (0..3)
        .map(|i| card.load(&mut hub, &format!("load-{i}"), 1_000))
        .collect();
    let purchase = card.purchase(500);
    // The purchase is first on its counter: no gap; the third load skips two online ATCs.
    assert_eq!(hub.upload(&[purchase, loads[2]]), [accepted(), gap()]);
    let entry = hub.card(card.asn);
    assert!(entry.offline.gaps().is_empty());
    assert_eq!(entry.online.gaps(), [range(0, 1)]);
    assert_eq!(hub.upload(&[loads[0], loads[1]]), [accepted(), accepted()]);
    let entry = hub.card(card.asn);
    assert!(entry.online.gaps().is_empty());
    assert_eq!(entry.shadow_balance_fen, 3_000 - 500);
}

#[test]
fn the_card_change_carries_absolute_counters_and_both_balances() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(14, Profile::Sm4, 1_000);
    hub.issue(&card);
    let first = card.purchase(10);
    card.purchase(10);
    let third = card.purchase(10);
    let outcome = hub.decide(crate::support::ACQUIRER, &[Ok(first), Ok(third)]);
    let [change] = outcome.changes.cards.as_slice() else {
        panic!("one card changed: {:?}", outcome.changes)
    };
    assert_eq!(change.asn, card.asn);
    assert_eq!(
        (
            change.shadow_balance_before_fen,
            change.shadow_balance_after_fen
        ),
        (0, -20)
    );
    assert_eq!(change.offline.highest(), Some(2));
    assert_eq!(change.offline.gaps(), [range(1, 1)]);
    assert_eq!(change.online.highest(), None);
}

#[test]
fn a_card_registered_mid_life_starts_from_its_registered_counters() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(15, Profile::Sm4, 10_000);
    card.offline_atc = 99;
    let before_registration = card.purchase(10);
    let first_seen = card.purchase(10);
    let mut entry = jinka_clearing::CardEntry::issued(
        card.asn,
        crate::support::ISSUER,
        crate::support::ISSUER_ID,
        Profile::Sm4,
    );
    entry.offline = jinka_clearing::CounterState::from_parts(Some(99), Vec::new()).unwrap();
    hub.view.insert_card(entry);
    // ATC 99's balances are unknown to the hub: the link to it is not judged.
    assert_eq!(hub.upload(&[first_seen]), [accepted()]);
    // A record from before registration counts as settled then.
    assert_eq!(
        hub.upload(&[before_registration]),
        [rejected(RejectReason::Duplicate)]
    );
}
