//! The JSON forms storage will keep: exact for a transaction, round trips for everything, and
//! refusal of anything that does not hold together.

use jinka_ledger::{
    Amount, FeeSchedule, Ledger, LedgerError, LedgerTransaction, PurchaseParties, SettlementReport,
    Timestamp, TransactionId, WindowAccumulator, WindowId, post_purchase,
};
use serde_json::{Value, json};

use crate::fixtures::{ACQUIRER, ISSUER, NETWORK, batch, fees, participant, purchase, rate};

fn posted_purchase() -> LedgerTransaction {
    let parties = PurchaseParties {
        acquirer: participant(ACQUIRER),
        issuer: participant(ISSUER),
        network: participant(NETWORK),
    };
    post_purchase(
        TransactionId(2),
        &purchase(0x3104_0000_0001_2345, 1250, 7),
        &batch("B-0001"),
        parties,
        &fees(),
    )
    .unwrap()
}

fn transaction_json() -> Value {
    let entry = |participant: u32, kind: &str, side: &str, amount: u64| {
        json!({"account": {"participant": participant, "kind": kind}, "side": side,
               "amount_fen": amount})
    };
    json!({
        "id": 2,
        "kind": "purchase",
        "source": {
            "source": "record",
            "origin": "batch",
            "acquirer": 2,
            "batch_id": "B-0001",
            "record": {"asn": "3104000000012345", "counter": "offline", "atc": 7},
        },
        "entries": [
            entry(1, "card-float", "debit", 1250),
            entry(2, "acquired", "credit", 1243),
            entry(1, "interchange-income", "credit", 6),
            entry(9, "network-fee-income", "credit", 1),
        ],
    })
}

#[test]
fn a_transaction_has_the_documented_json_form() {
    let transaction = posted_purchase();
    assert_eq!(
        serde_json::to_value(&transaction).unwrap(),
        transaction_json()
    );
    let text = serde_json::to_string(&transaction).unwrap();
    assert_eq!(
        serde_json::from_str::<LedgerTransaction>(&text).unwrap(),
        transaction
    );
}

#[test]
fn transactions_that_do_not_hold_together_are_refused_on_the_way_in() {
    let refused = |value: Value| serde_json::from_value::<LedgerTransaction>(value).is_err();
    let mut unbalanced = transaction_json();
    unbalanced["entries"][1]["amount_fen"] = json!(1244);
    assert!(refused(unbalanced));
    let mut online_purchase = transaction_json();
    online_purchase["source"] = json!({"source": "record", "origin": "online-load",
        "load_id": "L-1", "record": {"asn": "3104000000012345", "counter": "offline", "atc": 7}});
    assert!(refused(online_purchase));
    let mut bad_batch = transaction_json();
    bad_batch["source"]["batch_id"] = json!("B,0001");
    assert!(refused(bad_batch));
    let mut participant_zero = transaction_json();
    participant_zero["entries"][3]["account"]["participant"] = json!(0);
    assert!(refused(participant_zero));
    let mut extra = transaction_json();
    extra["note"] = json!("x");
    assert!(refused(extra));
}

#[test]
fn a_fee_schedule_round_trips_and_refuses_rates_above_100_percent() {
    let mut schedule = FeeSchedule::flat(rate(50, 0), rate(10, 2));
    schedule
        .interchange_by_issuer
        .insert(participant(3), rate(80, 0));
    let value = serde_json::to_value(&schedule).unwrap();
    assert_eq!(
        value,
        json!({
            "default_interchange": {"basis_points": 50, "fixed_fen": 0},
            "interchange_by_issuer": {"3": {"basis_points": 80, "fixed_fen": 0}},
            "default_network_fee": {"basis_points": 10, "fixed_fen": 2},
            "network_fee_by_acquirer": {},
        })
    );
    assert_eq!(
        serde_json::from_value::<FeeSchedule>(value.clone()).unwrap(),
        schedule
    );
    let mut too_high = value;
    too_high["default_interchange"]["basis_points"] = json!(10_001);
    let error = serde_json::from_value::<FeeSchedule>(too_high).unwrap_err();
    assert!(error.to_string().contains("10001 basis points"), "{error}");
}

/// A ledger in the middle of its second window.
fn ledger_mid_window() -> Ledger {
    let mut ledger = Ledger::new(WindowId(1), Timestamp::from_unix_ms(0));
    ledger.post(&posted_purchase()).unwrap();
    ledger
        .close_window(
            Timestamp::from_unix_ms(10),
            TransactionId(3),
            &Default::default(),
        )
        .unwrap();
    let parties = PurchaseParties {
        acquirer: participant(ACQUIRER),
        issuer: participant(ISSUER),
        network: participant(NETWORK),
    };
    let again = post_purchase(
        TransactionId(4),
        &purchase(1, 500, 8),
        &batch("B-0002"),
        parties,
        &fees(),
    )
    .unwrap();
    ledger.post(&again).unwrap();
    ledger
}

#[test]
fn a_ledger_round_trips_and_refuses_tampered_state() {
    let ledger = ledger_mid_window();
    let value = serde_json::to_value(&ledger).unwrap();
    assert_eq!(value["last_transaction_id"], json!(4));
    assert_eq!(
        value["accounts"][0],
        json!({"participant": 1, "kind": "card-float", "debits_fen": 1750, "credits_fen": 0})
    );
    assert_eq!(value["window"]["window_id"], json!(2));
    let back: Ledger = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(back, ledger);
    // The first purchase, its settlement (what receivers were paid: 1243 + 1), the second.
    assert_eq!(back.total(), Amount::from_fen(1250 + 1244 + 500));

    // One fen more on one side: debits and credits no longer balance.
    let mut unbalanced = value.clone();
    unbalanced["accounts"][0]["debits_fen"] = json!(1751);
    let error = serde_json::from_value::<Ledger>(unbalanced).unwrap_err();
    assert!(error.to_string().contains("does not balance"), "{error}");
    // Balanced, but the issuer's accounts no longer match its open position.
    let mut moved = value.clone();
    moved["accounts"][0]["debits_fen"] = json!(1751);
    let acquired = moved["accounts"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|account| account["kind"] == json!("acquired"))
        .unwrap();
    acquired["credits_fen"] = json!(acquired["credits_fen"].as_u64().unwrap() + 1);
    let error = serde_json::from_value::<Ledger>(moved).unwrap_err();
    assert!(error.to_string().contains("open position"), "{error}");
    // Accounts out of order.
    let mut shuffled = value;
    shuffled["accounts"].as_array_mut().unwrap().swap(0, 1);
    assert!(serde_json::from_value::<Ledger>(shuffled).is_err());
}

#[test]
fn a_window_round_trips_and_refuses_lines_that_do_not_sum_to_zero() {
    let window: WindowAccumulator = ledger_mid_window().window().clone();
    let value = serde_json::to_value(&window).unwrap();
    assert_eq!(
        serde_json::from_value::<WindowAccumulator>(value.clone()).unwrap(),
        window
    );
    let mut tampered = value;
    tampered["lines"][0]["debit_fen"] = json!(501);
    tampered["lines"][0]["net_fen"] = json!(-501);
    let error = serde_json::from_value::<WindowAccumulator>(tampered).unwrap_err();
    assert!(error.to_string().contains("sum to zero"), "{error}");
}

#[test]
fn a_report_refuses_figures_that_do_not_agree() {
    let mut ledger = ledger_mid_window();
    let report = ledger
        .close_window(
            Timestamp::from_unix_ms(20),
            TransactionId(5),
            &Default::default(),
        )
        .unwrap()
        .report;
    let value = serde_json::to_value(&report).unwrap();
    assert_eq!(
        serde_json::from_value::<SettlementReport>(value.clone()).unwrap(),
        report
    );
    let refused = |value: Value| {
        let error = serde_json::from_value::<SettlementReport>(value).unwrap_err();
        assert!(error.is_data(), "{error}");
        error.to_string()
    };
    let mut position = value.clone();
    position["positions"][0]["position_fen"] = json!(0);
    position["positions"][0]["direction"] = json!("zero");
    assert!(refused(position).contains("sums of their lines"));
    let mut direction = value.clone();
    assert_eq!(direction["positions"][0]["direction"], json!("net-sender"));
    direction["positions"][0]["direction"] = json!("net-receiver");
    assert!(refused(direction).contains("direction"));
    let mut net = value.clone();
    net["lines"][0]["net_fen"] = json!(1);
    assert!(refused(net).contains("credits minus debits"));
    let mut closed = value;
    closed["closed_at_ms"] = json!(1);
    assert!(refused(closed).contains("closed before"));
    // The error the ledger gives for these is the one serde shows.
    assert_eq!(
        LedgerError::InconsistentState("closed before it opened").to_string(),
        "stored ledger data does not hold together: closed before it opened"
    );
}
