//! The evaluator's state across a restart, on each engine: saved in chunks and read back the
//! same, a smaller save leaving no chunk of a larger one, the JSON state of older hubs read
//! once and replaced, and a damaged state starting the rules empty; and a timer tick whose
//! transaction fails leaving the rules as they were.

use std::sync::Arc;

use jinka_clearing::{Asn, IssuerId, Region};
use jinka_record::{Date, Time};
use jinka_risk::{ApprovedLoad, RecordId, RiskConfig, RiskEvaluator};

use super::{RiskControl, lock};
use crate::clock::EpochMs;
use crate::risk::state_chunks::STATE_CHUNK_BYTES;
use crate::risk::storage::Setting;
use crate::sqlite::SqliteStore;
use crate::store::Store;

/// An evaluator that has seen an approved load of each of `cards` cards.
fn busy(cards: u32) -> RiskEvaluator {
    let mut evaluator = RiskEvaluator::new(RiskConfig::default());
    let mut decisions = Vec::new();
    for card in 0..cards {
        let load = ApprovedLoad {
            id: RecordId::new(u64::from(card)),
            asn: Asn::new([
                0x31,
                0x04,
                0,
                0,
                (card >> 24) as u8,
                (card >> 16) as u8,
                (card >> 8) as u8,
                card as u8,
            ]),
            issuer_id: IssuerId::new([0x31, 0x04, 0, 0, 0, 0, 0, 1]),
            region: Region::new(310_000 + card % 7),
            date: Date::from_ymd(2026, 11, 27).unwrap(),
            time: Time::from_hms((card % 24) as u8, 0, 0).unwrap(),
        };
        evaluator.load_approved(&load, 1_795_000_000_000 + i64::from(card), &mut decisions);
    }
    evaluator
}

fn chunks(store: &dyn Store) -> u32 {
    let mut count = 0;
    store
        .risk_read(&mut |risk| {
            count = 0;
            while risk.state_chunk(count)?.is_some() {
                count += 1;
            }
            Ok(())
        })
        .unwrap();
    count
}

fn json_state(store: &dyn Store) -> Option<String> {
    let mut json = None;
    store
        .risk_read(&mut |risk| {
            json = risk.setting(Setting::State)?;
            Ok(())
        })
        .unwrap();
    json
}

fn save(store: &dyn Store, evaluator: RiskEvaluator) {
    let control = RiskControl::load(store).unwrap();
    *lock(&control.evaluator) = evaluator;
    control.save_state(store, EpochMs::new(2)).unwrap();
}

fn loaded(store: &dyn Store) -> RiskEvaluator {
    let control = RiskControl::load(store).unwrap();
    lock(&control.evaluator).clone()
}

/// The whole story on one engine's `store` (fresh).
pub(crate) fn state_survives_restarts(store: &dyn Store) {
    assert_eq!(loaded(store).sizes().cards, 0);
    // 40,000 cards are more than a chunk: several rows, read back as they were.
    let large = busy(40_000);
    save(store, large.clone());
    let mut bytes = Vec::new();
    large.write_state(&mut bytes).unwrap();
    assert_eq!(
        chunks(store) as usize,
        bytes.len().div_ceil(STATE_CHUNK_BYTES)
    );
    assert!(chunks(store) >= 2);
    assert_eq!(loaded(store).snapshot(), large.snapshot());
    // A smaller save leaves none of the larger one's chunks.
    let small = busy(10);
    save(store, small.clone());
    assert_eq!(chunks(store), 1);
    assert_eq!(loaded(store).snapshot(), small.snapshot());
    // A database of an older hub: the JSON state is read, and replaced at the next save.
    let older = busy(25);
    let json = serde_json::to_string(&older.snapshot()).unwrap();
    store
        .clearing(&mut |storage| {
            let risk = storage.risk();
            risk.end_state_chunks(0)?;
            risk.put_setting(Setting::State, &json, EpochMs::new(3))
        })
        .unwrap();
    assert_eq!(chunks(store), 0);
    let read = loaded(store);
    assert_eq!(read.snapshot(), older.snapshot());
    save(store, read);
    assert_eq!((chunks(store), json_state(store)), (1, None));
    assert_eq!(loaded(store).snapshot(), older.snapshot());
    // A damaged state, binary or JSON: the rules start empty, the hub starts.
    store
        .clearing(&mut |storage| {
            storage
                .risk()
                .put_state_chunk(0, b"JKRS\x01\0\0\0\x09", EpochMs::new(4))
        })
        .unwrap();
    assert_eq!(loaded(store).sizes().cards, 0);
    store
        .clearing(&mut |storage| {
            let risk = storage.risk();
            risk.end_state_chunks(0)?;
            risk.put_setting(Setting::State, "{\"cards\": [", EpochMs::new(5))
        })
        .unwrap();
    assert_eq!(loaded(store).sizes().cards, 0);
}

#[test]
fn the_risk_state_survives_restarts_on_sqlite() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("hub.sqlite3");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, EpochMs::new(1)).unwrap());
    state_survives_restarts(store.as_ref());
}

#[test]
fn a_tick_whose_decisions_cannot_be_stored_fires_them_again_at_the_next() {
    use jinka_clearing::AtcRange;
    use jinka_record::CounterKind;
    use jinka_risk::GapReport;

    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("hub.sqlite3");
    let store = SqliteStore::open(&path, EpochMs::new(1)).unwrap();
    let control = RiskControl::load(&store).unwrap();
    // A card's offline counter missing ATCs 3 to 5 from hour 0: due after 72 hours.
    let t0 = 1_795_000_000_000;
    let open = [AtcRange::new(3, 5).unwrap()];
    let report = GapReport {
        asn: Asn::new([0x31, 0x04, 0, 0, 0, 0, 0, 1]),
        issuer_id: IssuerId::new([0x31, 0x04, 0, 0, 0, 0, 0, 1]),
        counter_kind: CounterKind::Offline,
        open: &open,
    };
    let mut decisions = Vec::new();
    lock(&control.evaluator).counter_gaps(&report, t0, &mut decisions);
    assert!(decisions.is_empty());
    let before = lock(&control.evaluator).snapshot();
    // The decisions' table gone for a moment: the tick's transaction fails.
    let side = rusqlite::Connection::open(&path).unwrap();
    side.execute_batch("ALTER TABLE risk_decisions RENAME TO risk_decisions_away")
        .unwrap();
    let due = EpochMs::new(t0 + 4 * 24 * 3_600_000);
    assert!(control.tick(&store, due).is_err());
    assert_eq!(lock(&control.evaluator).snapshot(), before);
    side.execute_batch("ALTER TABLE risk_decisions_away RENAME TO risk_decisions")
        .unwrap();
    // The gap fires at the next tick, and once.
    assert_eq!(control.tick(&store, due).unwrap(), 1);
    assert_eq!(control.tick(&store, due).unwrap(), 0);
}
