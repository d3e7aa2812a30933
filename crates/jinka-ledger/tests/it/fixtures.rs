//! Records, participants and rates the tests share.

use jinka_ledger::{Amount, BatchId, FeeRate, FeeSchedule, LoadId, ParticipantId};
use jinka_record::{Date, RecordFields, Time, TransactionKind, TransactionRecord};

pub const ISSUER: u32 = 1;
pub const ACQUIRER: u32 = 2;
pub const NETWORK: u32 = 9;

pub fn participant(id: u32) -> ParticipantId {
    ParticipantId::new(id).unwrap()
}

pub fn rate(basis_points: u32, fixed_fen: u64) -> FeeRate {
    FeeRate::new(basis_points, Amount::from_fen(fixed_fen)).unwrap()
}

/// Interchange 0.5 %, network fee 0.1 %.
pub fn fees() -> FeeSchedule {
    FeeSchedule::flat(rate(50, 0), rate(10, 0))
}

pub fn batch(id: &str) -> BatchId {
    BatchId::new(id).unwrap()
}

pub fn load_id(id: &str) -> LoadId {
    LoadId::new(id).unwrap()
}

fn record(kind: TransactionKind, asn: u64, amount_fen: u32, atc: u16) -> TransactionRecord {
    TransactionRecord::new(RecordFields {
        asn: asn.to_be_bytes(),
        issuer_id: [0x31, 0x04, 0, 0, 0, 0, 0, 1],
        kind,
        amount_fen,
        balance_before_fen: 0,
        atc,
        terminal_id: [0x11, 0x22, 0x33, 0x44, 0x55, 0x66],
        terminal_serial: kind.is_purchase().then_some(u32::from(atc)),
        date: Date::from_ymd(2026, 11, 27).unwrap(),
        time: Time::from_hms(8, 30, 0).unwrap(),
        key_version: 1,
        algorithm_id: 4,
        tac: [0xD4, 0x1C, 0xCE, 0x81],
    })
    .unwrap()
}

/// A purchase of card `asn` with offline ATC `atc`.
pub fn purchase(asn: u64, amount_fen: u32, atc: u16) -> TransactionRecord {
    record(TransactionKind::Purchase, asn, amount_fen, atc)
}

/// A compound (transit) purchase.
pub fn capp_purchase(asn: u64, amount_fen: u32, atc: u16) -> TransactionRecord {
    record(TransactionKind::CappPurchase, asn, amount_fen, atc)
}

/// A load of card `asn` with online ATC `atc`.
pub fn load(asn: u64, amount_fen: u32, atc: u16) -> TransactionRecord {
    record(TransactionKind::Load, asn, amount_fen, atc)
}
