//! Committed records survive reopening; uncommitted ones do not; limits and locks hold.

use jinka_record_store::{COMMIT_RECORDS_MAX, RecordId, RecordStore, StoreError, StoreLimits};

use crate::support::{TERMINAL, open, record};

#[test]
fn committed_records_survive_reopen_and_uncommitted_ones_do_not() {
    let directory = tempfile::tempdir().unwrap();
    let mut store = open(directory.path());
    assert_eq!(store.append(record(0)).unwrap(), RecordId(0));
    assert_eq!(store.append(record(1)).unwrap(), RecordId(1));
    assert_eq!(store.uncommitted_count(), 2);
    assert!(store.unbatched().is_empty(), "not committed yet");
    store.commit().unwrap();
    assert_eq!(store.append_durable(record(2)).unwrap(), RecordId(2));
    store.append(record(3)).unwrap(); // never committed: lost in the "crash" below
    drop(store);

    let mut store = open(directory.path());
    assert_eq!(store.unbatched(), [record(0), record(1), record(2)]);
    assert_eq!(store.next_record_id(), RecordId(3));
    assert_eq!(store.uncommitted_count(), 0);
    assert_eq!(store.recovery().torn_bytes, 0);
    assert_eq!(store.append_durable(record(3)).unwrap(), RecordId(3));
    drop(store);
    assert_eq!(open(directory.path()).unbatched().len(), 4);
}

#[test]
fn commit_with_nothing_appended_writes_nothing() {
    let directory = tempfile::tempdir().unwrap();
    let mut store = open(directory.path());
    let size = store.log_bytes();
    store.commit().unwrap();
    assert_eq!(store.log_bytes(), size);
}

#[test]
fn appending_the_same_record_again_is_harmless() {
    let directory = tempfile::tempdir().unwrap();
    let mut store = open(directory.path());
    store.append_durable(record(0)).unwrap();
    store.append(record(1)).unwrap();
    // A terminal that lost track (a crash, a retried lane) appends both again.
    assert_eq!(store.append(record(1)).unwrap(), RecordId(1));
    assert_eq!(store.append(record(0)).unwrap(), RecordId(0));
    assert_eq!(store.uncommitted_count(), 1);
    store.commit().unwrap();
    drop(store);
    let mut store = open(directory.path());
    assert_eq!(store.append_durable(record(1)).unwrap(), RecordId(1));
    assert_eq!(store.unbatched(), [record(0), record(1)]);
    // Same card and counter but another record (a cloned card's replay) is kept for the hub
    // to judge.
    let mut clone = record(1).fields();
    clone.amount_fen += 1;
    let clone = jinka_record::TransactionRecord::new(clone).unwrap();
    assert_eq!(clone.dedupe_key(), record(1).dedupe_key());
    assert_eq!(store.append_durable(clone).unwrap(), RecordId(2));
}

#[test]
fn a_commit_holds_at_most_commit_records_max() {
    let directory = tempfile::tempdir().unwrap();
    let mut store = open(directory.path());
    for n in 0..COMMIT_RECORDS_MAX as u32 {
        store.append(record(n)).unwrap();
    }
    assert!(matches!(
        store.append(record(COMMIT_RECORDS_MAX as u32)),
        Err(StoreError::CommitFull {
            records_max: COMMIT_RECORDS_MAX
        })
    ));
    store.commit().unwrap();
    store
        .append_durable(record(COMMIT_RECORDS_MAX as u32))
        .unwrap();
    drop(store);
    assert_eq!(
        open(directory.path()).unbatched().len(),
        COMMIT_RECORDS_MAX + 1
    );
}

#[test]
fn a_full_log_refuses_records_but_can_be_uploaded_and_compacted() {
    let directory = tempfile::tempdir().unwrap();
    let limits = StoreLimits {
        log_bytes_max: 4096,
    };
    let mut store = RecordStore::open_with_limits(directory.path(), TERMINAL, limits).unwrap();
    let mut n = 0;
    let full = loop {
        match store.append_durable(record(n)) {
            Ok(_) => n += 1,
            Err(error) => break error,
        }
    };
    assert!(
        matches!(
            full,
            StoreError::LogFull {
                bytes_max: 4096,
                ..
            }
        ),
        "{full}"
    );
    assert!(full.to_string().contains("records.log"), "{full}");
    assert!(store.log_bytes() <= 4096);
    let batch = store.seal_batch(usize::MAX).unwrap().unwrap();
    assert_eq!(batch.records.len(), n as usize);
    store.acknowledge(&batch.id).unwrap();
    let compaction = store.compact().unwrap();
    assert!(
        compaction.bytes_after < compaction.bytes_before / 10,
        "{compaction:?}"
    );
    store.append_durable(record(n)).unwrap();
    drop(store);
    let store = RecordStore::open_with_limits(directory.path(), TERMINAL, limits).unwrap();
    assert_eq!(store.unbatched(), [record(n)]);
}

#[test]
fn a_log_past_its_limit_does_not_open() {
    let directory = tempfile::tempdir().unwrap();
    let mut store = open(directory.path());
    for n in 0..100 {
        store.append(record(n)).unwrap();
    }
    store.commit().unwrap();
    drop(store);
    let limits = StoreLimits {
        log_bytes_max: 1000,
    };
    let error = RecordStore::open_with_limits(directory.path(), TERMINAL, limits).unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::TooLarge {
                bytes_max: 2000,
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn one_process_at_a_time() {
    let directory = tempfile::tempdir().unwrap();
    let store = open(directory.path());
    let error = RecordStore::open(directory.path(), TERMINAL).unwrap_err();
    assert!(matches!(error, StoreError::Locked { .. }), "{error}");
    assert!(error.to_string().contains("records.lock"), "{error}");
    drop(store);
    open(directory.path());
}

#[test]
fn another_terminals_store_is_refused() {
    let directory = tempfile::tempdir().unwrap();
    open(directory.path()).append_durable(record(0)).unwrap();
    let error = RecordStore::open(directory.path(), [0xAA; 6]).unwrap_err();
    assert!(matches!(
        error,
        StoreError::TerminalMismatch {
            found: TERMINAL,
            ..
        }
    ));
    assert!(
        error
            .to_string()
            .contains("terminal 112233445566, not AAAAAAAAAAAA"),
        "{error}"
    );
}

#[test]
fn a_missing_directory_is_created() {
    let directory = tempfile::tempdir().unwrap();
    let nested = directory.path().join("var").join("jinka");
    let mut store = RecordStore::open(&nested, TERMINAL).unwrap();
    store.append_durable(record(0)).unwrap();
    drop(store);
    assert_eq!(open(&nested).unbatched(), [record(0)]);
}

#[cfg(unix)]
#[test]
fn the_log_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let directory = tempfile::tempdir().unwrap();
    let store = open(directory.path());
    let mode = std::fs::metadata(store.path())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}
