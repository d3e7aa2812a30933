//! Proptest strategies for valid records.

use jinka_record::{Date, RecordFields, Time, TransactionKind, TransactionRecord};
use proptest::prelude::*;

pub fn date() -> impl Strategy<Value = Date> {
    (0u16..=9999, 1u8..=12, 1u8..=31).prop_filter_map("a real day", |(year, month, day)| {
        Date::from_ymd(year, month, day)
    })
}

pub fn time() -> impl Strategy<Value = Time> {
    (0u8..24, 0u8..60, 0u8..60).prop_filter_map("a time of day", |(hour, minute, second)| {
        Time::from_hms(hour, minute, second)
    })
}

pub fn kind() -> impl Strategy<Value = TransactionKind> {
    prop_oneof![
        Just(TransactionKind::Purchase),
        Just(TransactionKind::CappPurchase),
        Just(TransactionKind::Load),
    ]
}

prop_compose! {
    pub fn record()(
        asn: [u8; 8],
        issuer_id: [u8; 8],
        kind in kind(),
        amount_fen: u32,
        balance_before_fen: u32,
        atc: u16,
        terminal_id: [u8; 6],
        serial: u32,
        date in date(),
        time in time(),
        key_version: u8,
        algorithm_id: u8,
        tac: [u8; 4],
    ) -> TransactionRecord {
        let (terminal_serial, balance_before_fen) = if kind.is_purchase() {
            (Some(serial), balance_before_fen)
        } else {
            // A load's new balance must fit 4 bytes.
            (None, balance_before_fen.min(u32::MAX - amount_fen))
        };
        TransactionRecord::new(RecordFields {
            asn, issuer_id, kind, amount_fen, balance_before_fen, atc, terminal_id,
            terminal_serial, date, time, key_version, algorithm_id, tac,
        })
        .expect("the strategy builds valid fields")
    }
}
