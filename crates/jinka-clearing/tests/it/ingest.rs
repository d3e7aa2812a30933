//! Batch decisions: every reject reason, every flag, re-uploads, summaries, errors.

use jinka_clearing::{
    Asn, BATCH_RECORDS_MAX, Batch, BatchId, CardStatus, ClearingError, Decision, Flag, Flags,
    IngestView, KeyId, KeyStore, LoadMac, LoadRequest, RejectReason, UploadedRecord, decide_batch,
};
use jinka_crypto::Profile;
use jinka_record::{RecordError, TransactionKind, TransactionRecord};

use crate::support::{
    ACQUIRER, CardSim, Hub, OTHER_ACQUIRER, OTHER_TERMINAL, accepted, changed, rejected,
};

fn flagged(flags: &[Flag]) -> Decision {
    Decision::Accepted {
        flags: flags.iter().copied().collect(),
    }
}

/// A card with a loaded purse and a normal day: load, purchases, load, purchases.
fn normal_day(hub: &mut Hub, profile: Profile) -> (CardSim, Vec<TransactionRecord>) {
    let mut card = CardSim::new(1, profile, 0);
    hub.issue(&card);
    let records = vec![
        card.load(hub, "l-1", 5_000),
        card.purchase(200),
        card.purchase(300),
        card.load(hub, "l-2", 1_000),
        card.load(hub, "l-3", 2_000),
        card.purchase(7_500),
        card.purchase(0),
    ];
    (card, records)
}

#[test]
fn a_normal_chain_is_accepted_quietly_and_its_reupload_is_all_duplicates() {
    for profile in [Profile::Sm4, Profile::Des3] {
        let mut hub = Hub::new();
        let (card, records) = normal_day(&mut hub, profile);
        assert_eq!(hub.upload(&records), vec![accepted(); records.len()]);
        let entry = hub.card(card.asn);
        assert_eq!(entry.shadow_balance_fen, 8_000 - 8_000);
        assert_eq!(i64::from(card.balance_fen), entry.shadow_balance_fen);
        assert_eq!(
            (entry.offline.highest(), entry.online.highest()),
            (Some(3), Some(2))
        );
        assert!(entry.offline.gaps().is_empty() && entry.online.gaps().is_empty());

        let uploaded: Vec<UploadedRecord> = records.iter().copied().map(Ok).collect();
        let again = hub.decide(ACQUIRER, &uploaded);
        assert_eq!(
            again.decisions,
            vec![rejected(RejectReason::Duplicate); records.len()]
        );
        assert!(again.changes.cards.is_empty() && again.changes.loads.is_empty());
        assert_eq!(again.summary.accepted, 0);
        assert_eq!(again.summary.rejected[RejectReason::Duplicate.index()], 7);
    }
}

#[test]
fn the_summary_counts_and_sums() {
    let mut hub = Hub::new();
    let (_, mut records) = normal_day(&mut hub, Profile::Sm4);
    records.push(changed(&records[1], |f| f.tac[0] ^= 1));
    let mut uploaded: Vec<UploadedRecord> = records.iter().copied().map(Ok).collect();
    uploaded.push(Err(RecordError::UnknownType(0x42)));
    let outcome = hub.decide(ACQUIRER, &uploaded);
    let summary = outcome.summary;
    assert_eq!((summary.records, summary.accepted), (9, 7));
    assert_eq!(summary.accepted_loads_fen, 8_000);
    assert_eq!(summary.accepted_purchases_fen, 8_000);
    assert_eq!(summary.rejected[RejectReason::BadTac.index()], 1);
    assert_eq!(summary.rejected[RejectReason::Malformed.index()], 1);
    assert_eq!(summary.flagged, [0, 0, 0]);
}

#[test]
fn every_reject_reason_has_its_case() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(7, Profile::Sm4, 10_000);
    hub.issue(&card);
    let good = card.purchase(100);
    let next = card.purchase(100);
    let mut stranger = CardSim::new(8, Profile::Sm4, 10_000);
    let unknown_card = stranger.purchase(100);
    let cases: Vec<(UploadedRecord, RejectReason)> = vec![
        (
            Err(RecordError::MissingTerminalSerial),
            RejectReason::Malformed,
        ),
        (
            Ok(changed(&good, |f| f.amount_fen = 10_001)),
            RejectReason::Malformed,
        ),
        (
            Ok(changed(&good, |f| f.balance_before_fen = 1 << 31)),
            RejectReason::Malformed,
        ),
        (
            Ok(changed(&good, |f| f.algorithm_id = 0x01)),
            RejectReason::Malformed,
        ),
        (
            Ok(changed(&good, |f| f.issuer_id[7] ^= 1)),
            RejectReason::Malformed,
        ),
        (
            Ok(changed(&good, |f| f.terminal_id = [9; 6])),
            RejectReason::UnknownTerminal,
        ),
        (
            Ok(changed(&good, |f| f.terminal_id = OTHER_TERMINAL.bytes())),
            RejectReason::NotYourTerminal,
        ),
        (Ok(unknown_card), RejectReason::UnknownCard),
        (
            Ok(changed(&good, |f| f.tac[1] ^= 0x10)),
            RejectReason::BadTac,
        ),
        (
            Ok(changed(&good, |f| f.amount_fen = 99)),
            RejectReason::BadTac,
        ),
        (
            Ok(changed(&good, |f| f.key_version = 2)),
            RejectReason::BadTac,
        ),
        (
            Ok(changed(&good, |f| f.algorithm_id = 0x00)),
            RejectReason::BadTac,
        ),
        (Ok(good), RejectReason::Duplicate),
    ];
    hub.upload(&[good, next]);
    for (record, reason) in cases {
        let outcome = hub.decide(ACQUIRER, std::slice::from_ref(&record));
        assert_eq!(outcome.decisions, [rejected(reason)], "{record:?}");
        assert!(outcome.changes.cards.is_empty());
    }
    // A foreign terminal is refused to its non-owner, and the owner may upload it.
    let mut foreign = CardSim::new(7, Profile::Sm4, 9_800);
    foreign.terminal_id = OTHER_TERMINAL;
    foreign.offline_atc = 2;
    let record = foreign.purchase(100);
    assert_eq!(
        hub.decide(ACQUIRER, &[Ok(record)]).decisions,
        [rejected(RejectReason::NotYourTerminal)]
    );
    assert_eq!(hub.upload_as(OTHER_ACQUIRER, &[record]), [accepted()]);
    // A closed card.
    let mut closed = hub.card(card.asn).clone();
    closed.status = CardStatus::Closed;
    hub.view.insert_card(closed);
    let late = card.purchase(100);
    assert_eq!(
        hub.decide(ACQUIRER, &[Ok(late)]).decisions,
        [rejected(RejectReason::CardClosed)]
    );
}

#[test]
fn duplicates_inside_one_batch_and_replays_under_another_atc() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(3, Profile::Sm4, 10_000);
    hub.issue(&card);
    let first = card.purchase(100);
    let second = card.purchase(250);
    // The purchase TAC does not cover the ATC: a replay renumbered to the next ATC still
    // verifies, and is caught by its terminal serial.
    let renumbered = changed(&first, |f| f.atc = 2);
    let decisions = hub.upload(&[first, first, second, renumbered, second]);
    assert_eq!(
        decisions,
        [
            accepted(),
            rejected(RejectReason::Duplicate),
            accepted(),
            rejected(RejectReason::Duplicate),
            rejected(RejectReason::Duplicate),
        ]
    );
    let renumbered_later = changed(&second, |f| f.atc = 9);
    assert_eq!(
        hub.upload(&[renumbered_later]),
        [rejected(RejectReason::Duplicate)]
    );
    assert_eq!(hub.card(card.asn).shadow_balance_fen, -350);
}

#[test]
fn a_hotlisted_or_blocked_card_is_flagged_a_replaced_one_settles_quietly() {
    for (status, expected) in [
        (CardStatus::Active, accepted()),
        (CardStatus::Hotlisted, flagged(&[Flag::HotlistedCardUsed])),
        (CardStatus::Blocked, flagged(&[Flag::HotlistedCardUsed])),
        (CardStatus::Replaced, accepted()),
    ] {
        let mut hub = Hub::new();
        let mut card = CardSim::new(4, Profile::Sm4, 1_000);
        hub.issue(&card);
        let mut entry = hub.card(card.asn).clone();
        entry.status = status;
        hub.view.insert_card(entry);
        assert_eq!(hub.upload(&[card.purchase(10)]), [expected], "{status:?}");
    }
}

#[test]
fn deciding_is_deterministic_and_reads_no_hidden_state() {
    let mut hub = Hub::new();
    let (_, records) = normal_day(&mut hub, Profile::Sm4);
    let mut shuffled = records.clone();
    shuffled.reverse();
    shuffled.push(records[2]);
    let uploaded: Vec<UploadedRecord> = shuffled.into_iter().map(Ok).collect();
    let first = hub.decide(ACQUIRER, &uploaded);
    let second = hub.decide(ACQUIRER, &uploaded);
    assert_eq!(first, second);
    assert!(first.decisions[..7].iter().all(|d| d.is_accepted()));
    assert_eq!(first.decisions[7], rejected(RejectReason::Duplicate));
}

#[test]
fn a_batch_past_the_limit_is_refused_whole() {
    let hub = Hub::new();
    let records = vec![Err(RecordError::MissingTerminalSerial); BATCH_RECORDS_MAX + 1];
    let id = BatchId::new("too-big").unwrap();
    let batch = Batch {
        id: &id,
        acquirer: ACQUIRER,
        records: &records,
    };
    assert_eq!(
        decide_batch(&batch, &hub.view, &hub.keys),
        Err(ClearingError::BatchTooLarge {
            records: BATCH_RECORDS_MAX + 1,
            max: BATCH_RECORDS_MAX
        })
    );
}

/// An HSM that is down.
struct Unavailable;

impl KeyStore for Unavailable {
    fn verify_tac(&self, _: &KeyId, _: Asn, _: &[u8], _: &[u8; 4]) -> Result<bool, ClearingError> {
        Err(ClearingError::KeyStoreUnavailable("HSM timeout".into()))
    }

    fn load_mac2(&self, _: &KeyId, _: &LoadRequest) -> Result<LoadMac, ClearingError> {
        Err(ClearingError::KeyStoreUnavailable("HSM timeout".into()))
    }
}

#[test]
fn an_unavailable_key_store_decides_nothing() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(5, Profile::Sm4, 1_000);
    hub.issue(&card);
    let records = [Ok(card.purchase(10))];
    let id = BatchId::new("b").unwrap();
    let batch = Batch {
        id: &id,
        acquirer: ACQUIRER,
        records: &records,
    };
    assert_eq!(
        decide_batch(&batch, &hub.view, &Unavailable),
        Err(ClearingError::KeyStoreUnavailable("HSM timeout".into()))
    );
    // Through a trait object too.
    let keys: &dyn KeyStore = &hub.keys;
    assert!(decide_batch(&batch, &hub.view as &dyn IngestView, keys).is_ok());
}

#[test]
fn flags_do_not_travel_with_rejections() {
    let mut hub = Hub::new();
    let mut card = CardSim::new(6, Profile::Sm4, 1_000);
    hub.issue(&card);
    card.offline_atc = 5;
    let gapped = card.purchase(10);
    let decisions = hub.upload(&[changed(&gapped, |f| f.tac[0] ^= 1), gapped]);
    assert_eq!(decisions[0].flags(), Flags::NONE);
    assert_eq!(decisions[1], flagged(&[Flag::CounterGap]));
    assert_eq!(
        TransactionKind::Purchase.counter_kind(),
        gapped.counter_kind()
    );
}
