//! Records and store helpers shared by the tests.

use std::path::Path;

use jinka_record::{Date, RecordFields, Time, TransactionKind, TransactionRecord};
use jinka_record_store::{Batch, LOG_FILE_NAME, RecordStore};

pub const TERMINAL: [u8; 6] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66];

/// The `n`th of a stream of distinct records: purchases and loads of a few cards.
pub fn record(n: u32) -> TransactionRecord {
    let card = n % 7;
    let atc = u16::try_from(n / 7 % 65_536).expect("bounded");
    let kind = match n % 5 {
        0 => TransactionKind::Load,
        1 => TransactionKind::CappPurchase,
        _ => TransactionKind::Purchase,
    };
    TransactionRecord::new(RecordFields {
        asn: [0x31, 0x04, 0, 0, 0, 0, 0, card as u8],
        issuer_id: [0x31, 0x04, 0, 0, 0, 0, 0, 0x01],
        kind,
        amount_fen: 100 + n % 1000,
        balance_before_fen: 50_000,
        atc,
        terminal_id: TERMINAL,
        terminal_serial: kind.is_purchase().then_some(n),
        date: Date::from_ymd(2026, 11, 27).expect("date"),
        time: Time::from_hms(8, 30, (n % 60) as u8).expect("time"),
        key_version: 1,
        algorithm_id: 4,
        tac: n.to_be_bytes(),
    })
    .expect("a valid record")
}

pub fn open(directory: &Path) -> RecordStore {
    RecordStore::open(directory, TERMINAL).expect("the store opens")
}

pub fn log_bytes(directory: &Path) -> Vec<u8> {
    std::fs::read(directory.join(LOG_FILE_NAME)).expect("the log is readable")
}

/// A new store directory whose log holds `bytes`.
pub fn store_with_log(bytes: &[u8]) -> tempfile::TempDir {
    let directory = tempfile::tempdir().expect("temporary directory");
    std::fs::write(directory.path().join(LOG_FILE_NAME), bytes).expect("write the log");
    directory
}

/// Every record the store still holds in batches or outside them, with the pending batches'
/// ids.
pub fn contents(store: &RecordStore) -> (Vec<Batch>, Vec<TransactionRecord>) {
    (store.pending_batches(), store.unbatched().to_vec())
}
