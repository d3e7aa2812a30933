//! The JSON form the CLI prints.

use jinka_record::{Date, RecordError, RecordFields, Time, TransactionKind, TransactionRecord};
use proptest::prelude::*;
use serde_json::json;

use crate::strategy::record;

fn load() -> TransactionRecord {
    TransactionRecord::new(RecordFields {
        asn: [0x31, 0x04, 0, 0, 0, 0x01, 0x23, 0x45],
        issuer_id: [0xAB, 0xCD, 0, 0, 0, 0, 0, 0x01],
        kind: TransactionKind::Load,
        amount_fen: 10_000,
        balance_before_fen: 0,
        atc: 41,
        terminal_id: [0, 0, 0, 0, 0, 0x01],
        terminal_serial: None,
        date: Date::from_ymd(2026, 12, 31).unwrap(),
        time: Time::from_hms(23, 59, 59).unwrap(),
        key_version: 2,
        algorithm_id: 4,
        tac: [0xB2, 0x2C, 0x1A, 0x38],
    })
    .unwrap()
}

#[test]
fn field_names_and_forms_are_the_clis() {
    let value = serde_json::to_value(load()).unwrap();
    assert_eq!(
        value,
        json!({
            "asn": "3104000000012345",
            "issuer_id": "ABCD000000000001",
            "type": "load",
            "amount": 10000,
            "balance_before": 0,
            "atc": 41,
            "terminal_id": "000000000001",
            "terminal_serial": null,
            "date": "20261231",
            "time": "235959",
            "key_version": 2,
            "algorithm_id": 4,
            "tac": "B22C1A38"
        })
    );
    let mut capp = load().fields();
    capp.kind = TransactionKind::CappPurchase;
    capp.terminal_serial = Some(0xFFFE);
    let value = serde_json::to_value(TransactionRecord::new(capp).unwrap()).unwrap();
    assert_eq!(value["type"], "capp-purchase");
    assert_eq!(value["terminal_serial"], 65534);
}

#[test]
fn lower_case_hex_is_read() {
    let mut value = serde_json::to_value(load()).unwrap();
    value["issuer_id"] = json!("abcd000000000001");
    assert_eq!(
        serde_json::from_value::<TransactionRecord>(value).unwrap(),
        load()
    );
}

#[test]
fn malformed_json_records_are_refused_with_a_reason() {
    let good = serde_json::to_value(load()).unwrap();
    let refused = |field: &str, bad: serde_json::Value| {
        let mut value = good.clone();
        value[field] = bad;
        serde_json::from_value::<TransactionRecord>(value)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        refused("asn", json!("31040000000123")),
        RecordError::Hex {
            field: "asn",
            bytes: 8
        }
        .to_string()
    );
    assert_eq!(
        refused("tac", json!("B22C1A3G")),
        RecordError::Hex {
            field: "tac",
            bytes: 4
        }
        .to_string()
    );
    assert_eq!(
        refused("date", json!("20260230")),
        RecordError::Date([0x20, 0x26, 0x02, 0x30]).to_string()
    );
    assert_eq!(
        refused("time", json!("250000")),
        RecordError::Time([0x25, 0, 0]).to_string()
    );
    assert_eq!(
        refused("terminal_serial", json!(7)),
        RecordError::TerminalSerialOnLoad.to_string()
    );
    assert_eq!(
        refused("balance_before", json!(u32::MAX)),
        RecordError::BalanceOverflow {
            balance_before_fen: u32::MAX,
            amount_fen: 10_000
        }
        .to_string()
    );
    assert!(refused("type", json!("refund")).contains("unknown variant"));
    assert!(refused("amount", json!(-1)).contains("invalid value"));
    assert!(refused("amount", json!(4_294_967_296u64)).contains("invalid value"));
    assert!(refused("extra", json!(1)).contains("unknown field"));
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("tac");
    assert!(
        serde_json::from_value::<TransactionRecord>(missing)
            .unwrap_err()
            .to_string()
            .contains("missing field `tac`")
    );
}

proptest! {
    #[test]
    fn json_round_trips(record in record()) {
        let text = serde_json::to_string(&record).unwrap();
        prop_assert_eq!(serde_json::from_str::<TransactionRecord>(&text).unwrap(), record);
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,300}") {
        let _ = serde_json::from_str::<TransactionRecord>(&text);
    }
}
