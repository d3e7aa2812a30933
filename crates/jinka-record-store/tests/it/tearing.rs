//! A crash in the middle of the last write: the log, cut at every byte of its last frame,
//! opens in the state before that frame's operation (or after, when the frame is whole).

use jinka_record_store::{RecordStore, StoreError};

use crate::support::{TERMINAL, contents, log_bytes, open, record, store_with_log};

/// Runs `last` on a store prepared by `before`, then checks every cut of the log between the
/// two sizes: cuts inside the last frame give the state before `last`, the whole frame the
/// state after it, and either way the store goes on working.
fn every_cut_recovers(before: impl Fn(&mut RecordStore), last: impl Fn(&mut RecordStore)) {
    let directory = tempfile::tempdir().unwrap();
    let mut store = open(directory.path());
    before(&mut store);
    let state_before = contents(&store);
    let size_before = store.log_bytes() as usize;
    last(&mut store);
    let state_after = contents(&store);
    assert_ne!(
        state_before, state_after,
        "the last operation changes something"
    );
    drop(store);
    let bytes = log_bytes(directory.path());
    assert!(bytes.len() > size_before);

    for cut in size_before..=bytes.len() {
        let torn = store_with_log(&bytes[..cut]);
        let mut store = open(torn.path());
        let whole = cut == bytes.len();
        let expected = if whole { &state_after } else { &state_before };
        assert_eq!(
            &contents(&store),
            expected,
            "cut at {cut} of {}",
            bytes.len()
        );
        let torn_bytes = if whole { 0 } else { cut - size_before };
        assert_eq!(store.recovery().torn_bytes, torn_bytes as u64);
        // The tail is gone for good: the next commit follows the kept frames.
        store.append_durable(record(1000)).unwrap();
        drop(store);
        let store = open(torn.path());
        assert_eq!(store.recovery().torn_bytes, 0, "cut at {cut}");
        assert_eq!(store.unbatched().last(), Some(&record(1000)));
    }
}

#[test]
fn a_torn_commit_of_several_records() {
    every_cut_recovers(
        |store| {
            for n in 0..3 {
                store.append(record(n)).unwrap();
            }
            store.commit().unwrap();
        },
        |store| {
            for n in 3..6 {
                store.append(record(n)).unwrap();
            }
            store.commit().unwrap();
        },
    );
}

#[test]
fn a_torn_first_commit() {
    every_cut_recovers(
        |_| {},
        |store| {
            store.append_durable(record(0)).unwrap();
        },
    );
}

#[test]
fn a_torn_seal() {
    every_cut_recovers(
        |store| {
            for n in 0..4 {
                store.append_durable(record(n)).unwrap();
            }
        },
        |store| {
            store.seal_batch(3).unwrap().unwrap();
        },
    );
}

#[test]
fn a_torn_acknowledgement() {
    every_cut_recovers(
        |store| {
            store.append_durable(record(0)).unwrap();
            store.seal_batch(10).unwrap().unwrap();
            store.append_durable(record(1)).unwrap();
            store.seal_batch(10).unwrap().unwrap();
        },
        |store| {
            let oldest = store.pending_batches()[0].id;
            store.acknowledge(&oldest).unwrap();
        },
    );
}

#[test]
fn a_zero_filled_tail_is_dropped() {
    // Some file systems leave the end of an interrupted append as zeros.
    let directory = tempfile::tempdir().unwrap();
    let mut store = open(directory.path());
    store.append_durable(record(0)).unwrap();
    drop(store);
    let mut bytes = log_bytes(directory.path());
    bytes.extend_from_slice(&[0; 4096]);
    let torn = store_with_log(&bytes);
    let store = open(torn.path());
    assert_eq!(store.recovery().torn_bytes, 4096);
    assert_eq!(store.unbatched(), [record(0)]);
}

#[test]
fn a_last_frame_of_full_length_with_unwritten_content_is_torn() {
    let directory = tempfile::tempdir().unwrap();
    let mut store = open(directory.path());
    store.append_durable(record(0)).unwrap();
    let size = store.log_bytes() as usize;
    store.append_durable(record(1)).unwrap();
    drop(store);
    let mut bytes = log_bytes(directory.path());
    let end = bytes.len();
    bytes[size + 20..end].fill(0);
    let torn = store_with_log(&bytes);
    let store = open(torn.path());
    assert_eq!(store.unbatched(), [record(0)]);
    assert_eq!(store.recovery().torn_bytes, (end - size) as u64);
}

#[test]
fn a_log_torn_inside_its_header_is_corrupt_not_empty() {
    // The header is written atomically (temporary file and rename), so a short one is damage.
    let directory = tempfile::tempdir().unwrap();
    drop(open(directory.path()));
    let bytes = log_bytes(directory.path());
    for cut in [0, 1, 15, 16, bytes.len() - 1] {
        let torn = store_with_log(&bytes[..cut]);
        let error = RecordStore::open(torn.path(), TERMINAL).unwrap_err();
        assert!(
            matches!(error, StoreError::Corrupt { offset: 0, .. }),
            "cut at {cut}: {error}"
        );
    }
}
