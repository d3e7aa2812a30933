//! Terminal transaction serials go up by one and are never handed out twice, across restarts
//! and crashes at any point, and a serial is durable before it is used.

use jinka_apdu::StatusWord;
use jinka_crypto::Profile;
use jinka_sam::{
    MemoryStore, PsamCard, PsamClient, Sam, SamError, SamErrorKind, SamState, SoftwareSam,
    StateStore, StoreError,
};
use proptest::prelude::*;

use crate::support::{FORMS, issuer_keys, request, sam, state_for};

fn state() -> SamState {
    state_for(&[&issuer_keys(Profile::Sm4, crate::support::ISSUER, 1, 1)])
}

fn serial(sam: &mut impl Sam) -> Result<u32, SamError> {
    let keys = issuer_keys(Profile::Sm4, crate::support::ISSUER, 1, 1);
    sam.init_purchase(&request(&keys))
        .map(|authorization| authorization.terminal_serial)
}

/// A crash: whatever was in memory is gone; the SAM restarts from what the store holds.
fn crash(sam: SoftwareSam<MemoryStore>, initial: &SamState) -> SoftwareSam<MemoryStore> {
    let durable = sam
        .store()
        .saved()
        .cloned()
        .unwrap_or_else(|| initial.clone());
    SoftwareSam::new(durable.clone(), MemoryStore::holding(durable)).with_serial_block(10)
}

#[test]
fn serials_go_up_by_one_in_both_forms() {
    for form in FORMS {
        let mut sam = sam(form, state());
        let keys = issuer_keys(Profile::Sm4, crate::support::ISSUER, 1, 1);
        let serials: Vec<u32> = (0..5)
            .map(|_| sam.init_purchase(&request(&keys)).unwrap().terminal_serial)
            .collect();
        assert_eq!(serials, [1, 2, 3, 4, 5], "{form:?}");
    }
}

#[test]
fn serials_are_reserved_in_blocks_and_never_repeat_across_crashes() {
    let initial = state();
    let mut sam = SoftwareSam::new(initial.clone(), MemoryStore::new()).with_serial_block(10);
    let mut seen = Vec::new();
    for round in 0..5 {
        for _ in 0..7 {
            seen.push(serial(&mut sam).unwrap());
        }
        // Each reservation is durable before its first serial is used.
        let durable = sam.store().saved().unwrap().serial_next;
        assert!(durable > u64::from(*seen.last().unwrap()), "round {round}");
        sam = crash(sam, &initial);
    }
    assert!(seen.windows(2).all(|pair| pair[0] < pair[1]), "{seen:?}");
    // One write per block of 10, the rest of a block lost at each crash.
    assert_eq!(seen[..8], [1, 2, 3, 4, 5, 6, 7, 11]);
}

#[test]
fn an_orderly_shutdown_gives_the_unused_serials_back() {
    let initial = state();
    let mut sam = SoftwareSam::new(initial.clone(), MemoryStore::new());
    for expected in 1..=3 {
        assert_eq!(serial(&mut sam).unwrap(), expected);
    }
    assert_eq!(sam.store().saved().unwrap().serial_next, 101);
    sam.release_unused_serials().unwrap();
    assert_eq!(sam.store().saved().unwrap().serial_next, 4);
    let mut sam = crash(sam, &initial);
    assert_eq!(serial(&mut sam).unwrap(), 4);
    assert_eq!(serial(&mut sam).unwrap(), 5);
}

/// A store that makes the state durable and then loses power before answering: the crash
/// between reserving serials and using the first of them.
struct PowerCutAfterSave {
    inner: MemoryStore,
    cut: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("power cut")]
struct PowerCut;

impl StateStore for PowerCutAfterSave {
    fn save(&mut self, state: &SamState) -> Result<(), StoreError> {
        self.inner.save(state)?;
        if self.cut {
            return Err(StoreError::new(PowerCut));
        }
        Ok(())
    }
}

#[test]
fn a_crash_between_reserving_and_using_skips_the_block() {
    let initial = state();
    let store = PowerCutAfterSave {
        inner: MemoryStore::new(),
        cut: false,
    };
    let mut sam = SoftwareSam::new(initial.clone(), store).with_serial_block(10);
    assert_eq!(serial(&mut sam).unwrap(), 1);
    for expected in 2..=10 {
        assert_eq!(serial(&mut sam).unwrap(), expected);
    }
    sam.store_mut().cut = true;
    // Serial 11 needs a new block: it is written (serial_next 21), then the power goes.
    let error = serial(&mut sam).unwrap_err();
    assert!(matches!(error, SamError::Store(_)), "{error}");
    assert_eq!(error.kind(), SamErrorKind::SamFault);
    let durable = sam.store().inner.saved().unwrap().clone();
    assert_eq!(durable.serial_next, 21);
    let mut restarted = SoftwareSam::new(durable, MemoryStore::new());
    assert_eq!(serial(&mut restarted).unwrap(), 21);
}

#[test]
fn a_failing_store_hands_out_no_serial_in_either_form() {
    let mut software = SoftwareSam::new(state(), MemoryStore::new());
    software.store_mut().set_failing(true);
    assert!(matches!(serial(&mut software), Err(SamError::Store(_))));
    assert!(software.store().saved().is_none());
    software.store_mut().set_failing(false);
    assert_eq!(serial(&mut software).unwrap(), 1);

    let mut card = PsamCard::new(SoftwareSam::new(state(), MemoryStore::new()));
    card.sam_mut().store_mut().set_failing(true);
    let mut client = PsamClient::connect(&mut card).unwrap();
    match serial(&mut client) {
        Err(SamError::UnexpectedStatus { status, .. }) => {
            assert_eq!(status, StatusWord::MEMORY_FAILURE)
        }
        other => panic!("{other:?}"),
    }
    drop(client);
    card.sam_mut().store_mut().set_failing(false);
    let mut client = PsamClient::connect(&mut card).unwrap();
    assert_eq!(serial(&mut client).unwrap(), 1);
}

#[derive(Clone, Debug)]
enum Step {
    Purchase,
    Crash,
    Release,
    StoreFails(bool),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => Just(Step::Purchase),
        1 => Just(Step::Crash),
        1 => Just(Step::Release),
        1 => any::<bool>().prop_map(Step::StoreFails),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever happens — purchases, crashes, orderly shutdowns, a failing disk — every serial
    /// handed out is larger than every one before it.
    #[test]
    fn no_history_repeats_a_serial(steps in proptest::collection::vec(step(), 1..80), block in 1u32..8) {
        let initial = state();
        let mut sam = SoftwareSam::new(initial.clone(), MemoryStore::new()).with_serial_block(block);
        let mut last = 0u32;
        for step in steps {
            match step {
                Step::Purchase => {
                    if let Ok(serial) = serial(&mut sam) {
                        prop_assert!(serial > last, "{} after {}", serial, last);
                        last = serial;
                    }
                }
                Step::Crash => {
                    let durable = sam.store().saved().cloned().unwrap_or_else(|| initial.clone());
                    sam = SoftwareSam::new(durable.clone(), MemoryStore::holding(durable))
                        .with_serial_block(block);
                }
                Step::Release => {
                    let _ = sam.release_unused_serials();
                }
                Step::StoreFails(failing) => sam.store_mut().set_failing(failing),
            }
        }
    }
}
