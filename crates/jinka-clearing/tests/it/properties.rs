//! Properties: a card's true chain, uploaded in any order, in any batches, with replays, is
//! accepted exactly once per record and ends in the same state; arbitrary records never make
//! the decisions fail.

use std::collections::HashMap;

use jinka_clearing::{Decision, Flag, LoadState, PostedBy, RejectReason, UploadedRecord};
use jinka_crypto::Profile;
use jinka_record::{CounterKind, Date, RecordFields, Time, TransactionKind, TransactionRecord};
use proptest::prelude::*;

use crate::support::{ACQUIRER, CardSim, Hub, ISSUER_ID, OTHER_TERMINAL, TERMINAL};

/// The chain: loads authorized by the hub (so its book knows them before any purchase after
/// them is made) and purchases within the balance.
fn true_chain(hub: &mut Hub, card: &mut CardSim, steps: &[(bool, u32)]) -> Vec<TransactionRecord> {
    let mut records = Vec::new();
    for (index, (is_load, amount)) in steps.iter().enumerate() {
        if *is_load || card.balance_fen == 0 {
            records.push(card.load(hub, &format!("load-{index}"), *amount));
        } else {
            records.push(card.purchase(1 + amount % card.balance_fen));
        }
    }
    records
}

/// Arrival order: the records, some of them again, permuted by `priority`.
fn arrivals(records: usize, replays: &[bool], priority: &[u16]) -> Vec<usize> {
    let mut items: Vec<usize> = (0..records).collect();
    items.extend((0..records).filter(|i| replays[*i % replays.len()]));
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|position| (priority[*position % priority.len()], *position));
    order.into_iter().map(|position| items[position]).collect()
}

fn final_state(hub: &Hub, card: &CardSim) -> (i64, Option<u16>, Option<u16>, u32, u32) {
    let entry = hub.card(card.asn);
    (
        entry.shadow_balance_fen,
        entry.offline.highest(),
        entry.online.highest(),
        entry.offline.missing(),
        entry.online.missing(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_arrival_of_a_true_chain_is_accepted_exactly_once(
        steps in prop::collection::vec((any::<bool>(), 1u32..5_000), 1..40),
        replays in prop::collection::vec(any::<bool>(), 1..16),
        priority in prop::collection::vec(any::<u16>(), 1..96),
        batch_records in 1usize..9,
        uploaded_twice in prop::collection::vec(any::<bool>(), 1..8),
    ) {
        let mut hub = Hub::new();
        let mut card = CardSim::new(41, Profile::Sm4, 0);
        hub.issue(&card);
        let chain = true_chain(&mut hub, &mut card, &steps);
        let mut in_order = Hub::new();
        in_order.view = hub.view.clone();

        let order = arrivals(chain.len(), &replays, &priority);
        let mut accepted: HashMap<usize, usize> = HashMap::new();
        for (batch_index, batch) in order.chunks(batch_records).enumerate() {
            let records: Vec<TransactionRecord> = batch.iter().map(|i| chain[*i]).collect();
            let twice = uploaded_twice[batch_index % uploaded_twice.len()];
            for upload in 0..(1 + usize::from(twice)) {
                let decisions = hub.upload(&records);
                for (index, decision) in batch.iter().zip(decisions) {
                    match decision {
                        Decision::Accepted { flags } => {
                            prop_assert_eq!(upload, 0, "a re-upload accepts nothing");
                            prop_assert!(!flags.contains(Flag::BalanceDiscontinuity));
                            prop_assert!(!flags.contains(Flag::HotlistedCardUsed));
                            *accepted.entry(*index).or_default() += 1;
                        }
                        Decision::Rejected { reason } => {
                            prop_assert_eq!(reason, RejectReason::Duplicate);
                        }
                    }
                }
            }
        }
        prop_assert_eq!(accepted.len(), chain.len());
        prop_assert!(accepted.values().all(|count| *count == 1));

        let loads: i64 = chain.iter().filter(|r| r.kind() == TransactionKind::Load)
            .map(|r| i64::from(r.amount_fen())).sum();
        let purchases: i64 = chain.iter().filter(|r| r.kind() != TransactionKind::Load)
            .map(|r| i64::from(r.amount_fen())).sum();
        let state = final_state(&hub, &card);
        prop_assert_eq!(state.0, loads - purchases);
        prop_assert_eq!(state.0, i64::from(card.balance_fen));
        prop_assert_eq!((state.3, state.4), (0, 0), "no gaps left");
        let count = |kind| chain.iter().filter(|r| r.counter_kind() == kind).count();
        let highest = |n: usize| n.checked_sub(1).map(|h| h as u16);
        prop_assert_eq!(state.1, highest(count(CounterKind::Offline)));
        prop_assert_eq!(state.2, highest(count(CounterKind::Online)));
        for (index, step) in steps.iter().enumerate() {
            let id = jinka_clearing::RequestId::new(&format!("load-{index}")).unwrap();
            if let Some(authorization) = hub.view.authorization(&id) {
                prop_assert!(step.0 || chain[index].kind() == TransactionKind::Load);
                prop_assert_eq!(authorization.state, LoadState::Posted(PostedBy::Tac));
            }
        }

        // The same chain in order, in one batch, ends in the same state.
        prop_assert!(in_order.upload(&chain).iter().all(|d| d.flags().is_empty()));
        prop_assert_eq!(final_state(&in_order, &card), state);
    }

    #[test]
    fn arbitrary_records_never_make_the_decisions_fail(
        records in prop::collection::vec(arbitrary_record(), 0..24),
    ) {
        let mut hub = Hub::new();
        let card = CardSim::new(42, Profile::Sm4, 0);
        hub.issue(&card);
        let uploaded: Vec<UploadedRecord> = records.into_iter().map(Ok).collect();
        let outcome = hub.decide(ACQUIRER, &uploaded);
        prop_assert_eq!(outcome.decisions.len(), uploaded.len());
        hub.view.apply(&uploaded, &outcome).unwrap();
        // Deciding again on the applied state accepts none of them.
        let again = hub.decide(ACQUIRER, &uploaded);
        prop_assert!(again.decisions.iter().all(|d| !d.is_accepted()));
    }
}

prop_compose! {
    /// Records of the registered card (ASN 42) or others, through our terminals or not, with
    /// random TACs: almost all are rejected, none may break anything.
    fn arbitrary_record()(
        asn in prop_oneof![Just(42u64), any::<u64>()],
        issuer in prop_oneof![Just(ISSUER_ID.bytes()), any::<[u8; 8]>()],
        kind in prop_oneof![
            Just(TransactionKind::Load),
            Just(TransactionKind::Purchase),
            Just(TransactionKind::CappPurchase),
        ],
        amount_fen in prop_oneof![0u32..1_000, any::<u32>()],
        balance_before_fen in prop_oneof![0u32..1_000, any::<u32>()],
        atc in prop_oneof![0u16..4, any::<u16>()],
        terminal in prop_oneof![Just(TERMINAL.bytes()), Just(OTHER_TERMINAL.bytes()), any::<[u8; 6]>()],
        serial: u32,
        key_version in prop_oneof![Just(1u8), any::<u8>()],
        algorithm_id in prop_oneof![Just(4u8), Just(0u8), any::<u8>()],
        tac: [u8; 4],
    ) -> TransactionRecord {
        let is_load = kind == TransactionKind::Load;
        let balance_before_fen = if is_load {
            balance_before_fen.min(u32::MAX - amount_fen)
        } else {
            balance_before_fen
        };
        TransactionRecord::new(RecordFields {
            asn: asn.to_be_bytes(),
            issuer_id: issuer,
            kind,
            amount_fen,
            balance_before_fen,
            atc,
            terminal_id: terminal,
            terminal_serial: (!is_load).then_some(serial),
            date: Date::from_ymd(2026, 11, 27).unwrap(),
            time: Time::from_hms(8, 0, 0).unwrap(),
            key_version,
            algorithm_id,
            tac,
        })
        .unwrap()
    }
}
