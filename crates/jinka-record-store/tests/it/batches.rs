//! Batches: stable ids across restarts, retries and late answers, compaction.

use jinka_record_store::{Acknowledgement, BATCH_RECORDS_MAX, BatchId, RecordId, StoreError};

use crate::support::{TERMINAL, open, record};

#[test]
fn batch_ids_and_contents_are_stable_across_reopen() {
    let directory = tempfile::tempdir().unwrap();
    let mut store = open(directory.path());
    for n in 0..10 {
        store.append(record(n)).unwrap();
    }
    store.commit().unwrap();
    let first = store.seal_batch(4).unwrap().unwrap();
    let second = store.seal_batch(4).unwrap().unwrap();
    assert_eq!(first.id.to_string(), "T112233445566-000001");
    assert_eq!(second.id.to_string(), "T112233445566-000002");
    assert_eq!(first.records, (0..4).map(record).collect::<Vec<_>>());
    assert_eq!(second.first_record, RecordId(4));
    assert_eq!(store.unbatched(), (8..10).map(record).collect::<Vec<_>>());
    drop(store);

    let mut store = open(directory.path());
    assert_eq!(store.pending_batches(), [first.clone(), second.clone()]);
    // The next batch continues the sequence and the records.
    let third = store.seal_batch(100).unwrap().unwrap();
    assert_eq!(third.id, BatchId::new(TERMINAL, 3));
    assert_eq!(third.records, [record(8), record(9)]);
    assert_eq!(
        store.seal_batch(100).unwrap(),
        None,
        "nothing left to batch"
    );
    assert_eq!(store.seal_batch(0).unwrap(), None);
}

#[test]
fn only_committed_records_are_batched() {
    let directory = tempfile::tempdir().unwrap();
    let mut store = open(directory.path());
    store.append_durable(record(0)).unwrap();
    store.append(record(1)).unwrap();
    let batch = store.seal_batch(10).unwrap().unwrap();
    assert_eq!(batch.records, [record(0)]);
    store.commit().unwrap();
    drop(store);
    let store = open(directory.path());
    assert_eq!(store.pending_batches(), [batch]);
    assert_eq!(store.unbatched(), [record(1)]);
}

#[test]
fn batches_hold_at_most_batch_records_max() {
    let directory = tempfile::tempdir().unwrap();
    let mut store = open(directory.path());
    let total = BATCH_RECORDS_MAX as u32 + 5;
    for n in 0..total {
        if store.uncommitted_count() == jinka_record_store::COMMIT_RECORDS_MAX {
            store.commit().unwrap();
        }
        store.append(record(n)).unwrap();
    }
    store.commit().unwrap();
    let batch = store.seal_batch(usize::MAX).unwrap().unwrap();
    assert_eq!(batch.records.len(), BATCH_RECORDS_MAX);
    assert_eq!(
        store.seal_batch(usize::MAX).unwrap().unwrap().records.len(),
        5
    );
}

#[test]
fn retries_and_late_answers_change_nothing() {
    let directory = tempfile::tempdir().unwrap();
    let mut store = open(directory.path());
    for n in 0..6 {
        store.append(record(n)).unwrap();
    }
    store.commit().unwrap();
    let first = store.seal_batch(3).unwrap().unwrap();
    let second = store.seal_batch(3).unwrap().unwrap();

    // The upload of the first batch timed out: the retry sends the same id and records.
    assert_eq!(store.pending_batches()[0], first);
    // Answers arrive out of order, one of them twice.
    assert_eq!(
        store.acknowledge(&second.id).unwrap(),
        Acknowledgement::Recorded
    );
    assert_eq!(store.pending_batches(), std::slice::from_ref(&first));
    assert_eq!(
        store.acknowledge(&first.id).unwrap(),
        Acknowledgement::Recorded
    );
    let size = store.log_bytes();
    assert_eq!(
        store.acknowledge(&first.id).unwrap(),
        Acknowledgement::AlreadyRecorded
    );
    assert_eq!(store.log_bytes(), size, "a late answer writes nothing");
    drop(store);

    let mut store = open(directory.path());
    assert!(store.pending_batches().is_empty());
    assert_eq!(
        store.acknowledge(&second.id).unwrap(),
        Acknowledgement::AlreadyRecorded
    );
    // A new batch never reuses an id.
    store.append_durable(record(6)).unwrap();
    assert_eq!(
        store.seal_batch(10).unwrap().unwrap().id,
        BatchId::new(TERMINAL, 3)
    );
}

#[test]
fn unknown_batch_ids_are_refused_without_change() {
    let directory = tempfile::tempdir().unwrap();
    let mut store = open(directory.path());
    store.append_durable(record(0)).unwrap();
    let batch = store.seal_batch(1).unwrap().unwrap();
    for unknown in [
        BatchId::new(TERMINAL, 2),
        BatchId::new(TERMINAL, 0),
        BatchId::new([0xAA; 6], 1),
        BatchId::new(TERMINAL, u64::MAX),
    ] {
        let error = store.acknowledge(&unknown).unwrap_err();
        assert!(matches!(error, StoreError::UnknownBatch { id } if id == unknown));
        assert!(error.to_string().contains(&unknown.to_string()));
    }
    assert_eq!(store.pending_batches(), [batch]);
}

#[test]
fn compaction_keeps_ids_pending_batches_and_unbatched_records() {
    let directory = tempfile::tempdir().unwrap();
    let mut store = open(directory.path());
    for n in 0..40 {
        store.append(record(n)).unwrap();
    }
    store.commit().unwrap();
    let batches: Vec<_> = (0..4)
        .map(|_| store.seal_batch(8).unwrap().unwrap())
        .collect();
    // Acknowledged: 1, 2 and 4; pending: 3. Compaction can drop 1 and 2 only.
    for index in [0, 1, 3] {
        store.acknowledge(&batches[index].id).unwrap();
    }
    store.append(record(40)).unwrap(); // uncommitted, survives compaction uncommitted
    let compaction = store.compact().unwrap();
    assert!(compaction.bytes_after < compaction.bytes_before);
    assert_eq!(store.pending_batches(), [batches[2].clone()]);
    assert_eq!(store.unbatched(), (32..40).map(record).collect::<Vec<_>>());
    assert_eq!(store.uncommitted_count(), 1);
    store.commit().unwrap();
    assert_eq!(store.next_record_id(), RecordId(41));
    drop(store);

    let mut store = open(directory.path());
    assert_eq!(store.pending_batches(), [batches[2].clone()]);
    assert_eq!(store.unbatched().len(), 9);
    for batch in &batches {
        let expected = if batch.id == batches[2].id {
            Acknowledgement::Recorded
        } else {
            Acknowledgement::AlreadyRecorded
        };
        assert_eq!(store.acknowledge(&batch.id).unwrap(), expected);
    }
    let next = store.seal_batch(100).unwrap().unwrap();
    assert_eq!(next.id, BatchId::new(TERMINAL, 5));
    assert_eq!(next.first_record, RecordId(32));
    // Compaction forgot the acknowledged records: appending one again stores it again (the
    // hub answers it `duplicate`), while a record still held is recognised.
    assert_eq!(store.append(record(0)).unwrap(), RecordId(41));
    assert_eq!(store.append(record(33)).unwrap(), RecordId(33));
    store.commit().unwrap();
    store.seal_batch(100).unwrap();
    // Nothing left to drop beyond what the next compaction finds.
    for batch in store.pending_batches() {
        store.acknowledge(&batch.id).unwrap();
    }
    let size = store.compact().unwrap().bytes_after;
    assert_eq!(store.compact().unwrap().bytes_after, size);
    assert!(store.pending_batches().is_empty() && store.unbatched().is_empty());
}
