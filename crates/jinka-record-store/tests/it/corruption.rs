//! Damage before the last frame is refused with an error naming the file, and the file is
//! left as it was: nothing valid after the damage is dropped.

use jinka_record_store::{FRAME_HEADER_BYTES, RecordStore, StoreError};

use crate::support::{TERMINAL, log_bytes, open, record, store_with_log};

/// A log of a header and three commits; the offsets of the commits' frames.
fn log_of_three_commits() -> (Vec<u8>, [usize; 3]) {
    let directory = tempfile::tempdir().unwrap();
    let mut store = open(directory.path());
    let mut offsets = [0; 3];
    for (commit, offset) in offsets.iter_mut().enumerate() {
        *offset = store.log_bytes() as usize;
        for n in 0..3 {
            store.append(record(commit as u32 * 3 + n)).unwrap();
        }
        store.commit().unwrap();
    }
    drop(store);
    (log_bytes(directory.path()), offsets)
}

#[test]
fn a_damaged_byte_before_the_last_frame_is_an_error_naming_the_file() {
    let (bytes, [first, second, last]) = log_of_three_commits();
    // Every byte of the header and of the two frames before the last.
    for at in (0..first).chain(first..last) {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x40;
        let directory = store_with_log(&damaged);
        let error = RecordStore::open(directory.path(), TERMINAL).unwrap_err();
        let frame = if at < first {
            0
        } else if at < second {
            first
        } else {
            second
        };
        match &error {
            StoreError::Corrupt { path, offset, .. } => {
                assert_eq!(*offset, frame as u64, "byte {at}");
                assert!(path.ends_with("records.log"));
            }
            other => panic!("byte {at}: {other}"),
        }
        assert!(error.to_string().contains("records.log"), "{error}");
        assert_eq!(
            log_bytes(directory.path()),
            damaged,
            "the file is untouched"
        );
    }
}

#[test]
fn a_valid_frame_out_of_place_is_corruption() {
    // Frames that each check but do not follow from each other: the second commit's frame
    // twice over is fine (records may repeat), but a header in the middle is not.
    let (bytes, [first, _, _]) = log_of_three_commits();
    let mut doubled_header = bytes[..first].to_vec();
    doubled_header.extend_from_slice(&bytes);
    let directory = store_with_log(&doubled_header);
    let error = RecordStore::open(directory.path(), TERMINAL).unwrap_err();
    assert!(
        matches!(error, StoreError::Corrupt { offset, reason, .. }
            if offset == first as u64 && reason.contains("header")),
        "{error}"
    );
}

#[test]
fn a_foreign_file_is_refused() {
    let directory = store_with_log(b"PK\x03\x04 this is a zip file, not a record log at all");
    let error = RecordStore::open(directory.path(), TERMINAL).unwrap_err();
    assert!(
        matches!(error, StoreError::Corrupt { offset: 0, .. }),
        "{error}"
    );
    let garbage = vec![0xA5u8; FRAME_HEADER_BYTES * 10];
    let directory = store_with_log(&garbage);
    assert!(matches!(
        RecordStore::open(directory.path(), TERMINAL),
        Err(StoreError::Corrupt { offset: 0, .. })
    ));
}
