//! Random interleavings of append, commit, seal, upload answers (on time, late, repeated,
//! unknown), compaction and restarts, against a model: every committed record is in exactly
//! one batch ever sealed or still unbatched, in order; a batch id always names the same
//! records; nothing uncommitted survives a restart.

use std::collections::{BTreeMap, BTreeSet};

use jinka_record::TransactionRecord;
use jinka_record_store::{Acknowledgement, BatchId, RecordStore, StoreError};
use proptest::prelude::*;

use crate::support::{TERMINAL, open, record};

#[derive(Clone, Debug)]
enum Op {
    Append(u8),
    Commit,
    AppendDurable,
    /// Append again a record already appended (committed or not).
    AppendAgain(usize),
    Seal(usize),
    /// Acknowledge the n-th batch ever sealed (modulo their number), maybe again or late.
    Acknowledge(usize),
    AcknowledgeUnknown(u64),
    Compact,
    Restart,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u8..6).prop_map(Op::Append),
        3 => Just(Op::Commit),
        2 => Just(Op::AppendDurable),
        1 => any::<usize>().prop_map(Op::AppendAgain),
        3 => (0usize..8).prop_map(Op::Seal),
        3 => any::<usize>().prop_map(Op::Acknowledge),
        1 => (1u64..100).prop_map(Op::AcknowledgeUnknown),
        1 => Just(Op::Compact),
        2 => Just(Op::Restart),
    ]
}

#[derive(Default)]
struct Model {
    next: u32,
    committed: Vec<TransactionRecord>,
    uncommitted: Vec<TransactionRecord>,
    /// Every batch ever sealed, by sequence.
    sealed: BTreeMap<u64, Vec<TransactionRecord>>,
    acknowledged: BTreeSet<u64>,
}

impl Model {
    fn batched(&self) -> usize {
        self.sealed.values().map(Vec::len).sum()
    }
}

fn step(store: &mut RecordStore, model: &mut Model, op: Op) {
    match op {
        Op::Append(count) => {
            for _ in 0..count {
                let record = record(model.next);
                model.next += 1;
                store.append(record).unwrap();
                model.uncommitted.push(record);
            }
        }
        Op::Commit => {
            store.commit().unwrap();
            model.committed.append(&mut model.uncommitted);
        }
        Op::AppendDurable => {
            let record = record(model.next);
            model.next += 1;
            store.append_durable(record).unwrap();
            model.committed.append(&mut model.uncommitted);
            model.committed.push(record);
        }
        Op::AppendAgain(index) => {
            // Records the store still holds: compaction forgets acknowledged ones (documented).
            let acknowledged: std::collections::HashSet<_> = model
                .acknowledged
                .iter()
                .flat_map(|sequence| &model.sealed[sequence])
                .collect();
            let known: Vec<_> = model
                .committed
                .iter()
                .chain(&model.uncommitted)
                .filter(|record| !acknowledged.contains(record))
                .collect();
            if let Some(&&record) = known.get(index % known.len().max(1)) {
                let before = store.uncommitted_count();
                store.append(record).unwrap();
                assert_eq!(store.uncommitted_count(), before, "nothing added");
            }
        }
        Op::Seal(records_max) => {
            let batch = store.seal_batch(records_max).unwrap();
            let start = model.batched();
            let count = records_max.min(model.committed.len() - start);
            match batch {
                None => assert_eq!(count, 0),
                Some(batch) => {
                    assert_eq!(batch.id.terminal_id(), TERMINAL);
                    assert_eq!(batch.id.sequence(), model.sealed.len() as u64 + 1);
                    assert_eq!(batch.records, model.committed[start..start + count]);
                    model.sealed.insert(batch.id.sequence(), batch.records);
                }
            }
        }
        Op::Acknowledge(index) => {
            if model.sealed.is_empty() {
                return;
            }
            let sequence = (index % model.sealed.len()) as u64 + 1;
            let answer = store
                .acknowledge(&BatchId::new(TERMINAL, sequence))
                .unwrap();
            let expected = if model.acknowledged.insert(sequence) {
                Acknowledgement::Recorded
            } else {
                Acknowledgement::AlreadyRecorded
            };
            assert_eq!(answer, expected);
        }
        Op::AcknowledgeUnknown(past) => {
            let id = BatchId::new(TERMINAL, model.sealed.len() as u64 + past);
            assert!(matches!(
                store.acknowledge(&id),
                Err(StoreError::UnknownBatch { .. })
            ));
        }
        Op::Compact => {
            store.compact().unwrap();
        }
        Op::Restart => unreachable!("restarts are run by the caller"),
    }
}

fn check(store: &RecordStore, model: &Model) {
    // Pending batches: the sealed, unacknowledged ones, same ids and records.
    let pending: Vec<_> = store
        .pending_batches()
        .into_iter()
        .map(|batch| (batch.id.sequence(), batch.records))
        .collect();
    let expected: Vec<_> = model
        .sealed
        .iter()
        .filter(|(sequence, _)| !model.acknowledged.contains(sequence))
        .map(|(sequence, records)| (*sequence, records.clone()))
        .collect();
    assert_eq!(pending, expected);
    // The union of all batches ever sealed and the unbatched records is every committed
    // record, once each, in order.
    let mut union: Vec<_> = model.sealed.values().flatten().copied().collect();
    union.extend_from_slice(store.unbatched());
    assert_eq!(union, model.committed);
    let distinct: BTreeSet<_> = union.iter().map(|record| record.tac()).collect();
    assert_eq!(distinct.len(), union.len(), "no record twice");
    assert_eq!(store.uncommitted_count(), model.uncommitted.len());
    assert_eq!(store.next_record_id().0, model.committed.len() as u64);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn no_interleaving_duplicates_or_drops_a_record(
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let root = tempfile::tempdir().unwrap();
        let directory = root.path().join("store");
        let mut store = open(&directory);
        let mut model = Model::default();
        for op in ops {
            if let Op::Restart = op {
                // A crash: the store is closed (its lock released) and whatever was not
                // committed is gone.
                drop(store);
                store = open(&directory);
                model.uncommitted.clear();
            } else {
                step(&mut store, &mut model, op);
            }
            check(&store, &model);
        }
        drop(store);
        let store = open(&directory);
        model.uncommitted.clear();
        check(&store, &model);
    }
}
