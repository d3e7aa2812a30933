//! Settlement: a window of three participants with its exact positions, lines, JSON and CSV;
//! caps; an empty window; refusals that change nothing.

use jinka_ledger::{
    AccountId, AccountKind, Amount, BatchRef, Direction, Entry, Ledger, LedgerError,
    LedgerErrorKind, LoadParties, NetAmount, NetDebitCaps, Origin, PostingKind, PurchaseParties,
    SourceRef, Timestamp, TransactionId, WindowAccumulator, WindowClose, WindowId, post_load,
    post_purchase,
};
use serde_json::json;

use crate::fixtures::{
    ACQUIRER, ISSUER, NETWORK, batch, fees, load, load_id, participant, purchase,
};

const OPENED_AT_MS: u64 = 1_795_737_600_000; // 2026-11-27T00:00:00Z
const CLOSED_AT_MS: u64 = 1_795_824_000_000; // a day later

/// Issuer 1, acquirer 2 (also the load agent), network 9, fees 0.5 % and 0.1 %: an online
/// load of 100.00 yuan at acquirer 2, then two purchases of 12.50 and 13.00 yuan in acquirer
/// 2's batch B-0001, transaction ids 1 to 3.
fn three_participants() -> Ledger {
    let mut ledger = Ledger::new(WindowId(1), Timestamp::from_unix_ms(OPENED_AT_MS));
    let load_parties = LoadParties {
        load_agent: participant(ACQUIRER),
        issuer: participant(ISSUER),
    };
    let purchase_parties = PurchaseParties {
        acquirer: participant(ACQUIRER),
        issuer: participant(ISSUER),
        network: participant(NETWORK),
    };
    let online = Origin::OnlineLoad {
        load_id: load_id("L-42"),
    };
    let transactions = [
        post_load(TransactionId(1), &load(1, 10_000, 0), online, load_parties),
        post_purchase(
            TransactionId(2),
            &purchase(1, 1250, 0),
            &batch("B-0001"),
            purchase_parties,
            &fees(),
        ),
        post_purchase(
            TransactionId(3),
            &purchase(1, 1300, 1),
            &batch("B-0001"),
            purchase_parties,
            &fees(),
        ),
    ];
    for transaction in transactions {
        ledger.post(&transaction.unwrap()).unwrap();
    }
    ledger
}

fn caps() -> NetDebitCaps {
    NetDebitCaps::from([
        (participant(ISSUER), Amount::from_fen(1000)),
        (participant(ACQUIRER), Amount::from_fen(5000)),
    ])
}

fn close(ledger: &mut Ledger) -> WindowClose {
    ledger
        .close_window(
            Timestamp::from_unix_ms(CLOSED_AT_MS),
            TransactionId(4),
            &caps(),
        )
        .unwrap()
}

fn settlement(id: u32) -> AccountId {
    AccountId::new(participant(id), AccountKind::Settlement)
}

#[test]
fn three_participants_settle_to_exact_positions() {
    let mut ledger = three_participants();
    // While the window is open, positions can be asked for (an online load authorization
    // would compare acquirer 2's with its cap).
    assert_eq!(
        ledger.position(participant(ACQUIRER)),
        NetAmount::from_fen(-7465)
    );
    let WindowClose {
        report,
        settlement: posted,
    } = close(&mut ledger);

    // Issuer 1: +10000 (load) − 1250 − 1300 (purchases) + 6 + 7 (interchange) = +7463.
    // Acquirer 2: −10000 (cash collected) + 1243 + 1292 (acquired) = −7465.
    // Network 9: +1 + 1 (network fees) = +2.
    let positions: Vec<(u32, i64, Direction, Option<u64>)> = report
        .positions()
        .iter()
        .map(|p| {
            (
                p.participant().get(),
                p.net().fen(),
                p.direction(),
                p.cap_breach().map(Amount::fen),
            )
        })
        .collect();
    assert_eq!(
        positions,
        [
            (1, 7463, Direction::NetReceiver, None),
            (2, -7465, Direction::NetSender, Some(2465)),
            (9, 2, Direction::NetReceiver, None),
        ]
    );
    let sum: i64 = report.positions().iter().map(|p| p.net().fen()).sum();
    assert_eq!(sum, 0);
    let breaches: Vec<u32> = report
        .cap_breaches()
        .map(|p| p.participant().get())
        .collect();
    assert_eq!(breaches, [ACQUIRER]);
    assert_eq!(report.window_id(), WindowId(1));
    assert_eq!(report.transaction_count(), 3);
    assert_eq!(report.settlement_transaction_id(), Some(TransactionId(4)));

    // The settlement pays each position into the participant's settlement account.
    let posted = posted.unwrap();
    assert_eq!(posted.kind(), PostingKind::Settlement);
    assert_eq!(
        posted.source(),
        &SourceRef::WindowClose {
            window_id: WindowId(1)
        }
    );
    assert_eq!(
        posted.entries(),
        [
            Entry::debit(settlement(ISSUER), Amount::from_fen(7463)),
            Entry::credit(settlement(ACQUIRER), Amount::from_fen(7465)),
            Entry::debit(settlement(NETWORK), Amount::from_fen(2)),
        ]
    );

    // Afterwards: the card float is loads − purchases, everyone is square, and window 2 is
    // open from the close.
    assert_eq!(
        ledger.card_float(participant(ISSUER)),
        Ok(NetAmount::from_fen(10_000 - 1250 - 1300))
    );
    for id in [ISSUER, ACQUIRER, NETWORK] {
        let net: i64 = AccountKind::ALL
            .iter()
            .map(|&kind| {
                let balance = ledger.balance(AccountId::new(participant(id), kind));
                balance.net_credit().unwrap().fen()
            })
            .sum();
        assert_eq!(net, 0, "participant {id} is square");
    }
    assert_eq!(ledger.window().id(), WindowId(2));
    assert_eq!(
        ledger.window().opened_at(),
        Timestamp::from_unix_ms(CLOSED_AT_MS)
    );
    assert_eq!(ledger.window().transaction_count(), 0);
    assert_eq!(ledger.position(participant(ACQUIRER)), NetAmount::ZERO);
    assert_eq!(ledger.last_transaction_id(), Some(TransactionId(4)));
}

#[test]
fn the_csv_tables_are_exact() {
    let report = close(&mut three_participants()).report;
    assert_eq!(
        report.positions_csv(),
        "window_id,participant,position_fen,direction,net_debit_cap_fen,cap_breach_fen\n\
         1,1,7463,net-receiver,1000,\n\
         1,2,-7465,net-sender,5000,2465\n\
         1,9,2,net-receiver,,\n"
    );
    assert_eq!(
        report.lines_csv(),
        "window_id,participant,origin,acquirer,batch_id,account,entries,debit_fen,credit_fen,net_fen\n\
         1,1,batch,2,B-0001,card-float,2,2550,0,-2550\n\
         1,1,batch,2,B-0001,interchange-income,2,0,13,13\n\
         1,1,online-loads,,,card-float,1,0,10000,10000\n\
         1,2,batch,2,B-0001,acquired,2,0,2535,2535\n\
         1,2,online-loads,,,collected-cash,1,10000,0,-10000\n\
         1,9,batch,2,B-0001,network-fee-income,2,0,2,2\n"
    );
}

#[test]
fn the_json_report_is_exact_and_reads_back() {
    let report = close(&mut three_participants()).report;
    let value = serde_json::to_value(&report).unwrap();
    let line = |participant: u32, source: serde_json::Value, account: &str, counts: [i64; 4]| {
        let mut line = json!({
            "participant": participant,
            "account": account,
            "entries": counts[0],
            "debit_fen": counts[1],
            "credit_fen": counts[2],
            "net_fen": counts[3],
        });
        for (key, value) in source.as_object().unwrap() {
            line[key] = value.clone();
        }
        line
    };
    let b0001 = json!({"origin": "batch", "acquirer": 2, "batch_id": "B-0001"});
    let online = json!({"origin": "online-loads"});
    assert_eq!(
        value,
        json!({
            "window_id": 1,
            "opened_at_ms": OPENED_AT_MS,
            "closed_at_ms": CLOSED_AT_MS,
            "transaction_count": 3,
            "settlement_transaction_id": 4,
            "positions": [
                {"participant": 1, "position_fen": 7463, "direction": "net-receiver",
                 "net_debit_cap_fen": 1000, "cap_breach_fen": null},
                {"participant": 2, "position_fen": -7465, "direction": "net-sender",
                 "net_debit_cap_fen": 5000, "cap_breach_fen": 2465},
                {"participant": 9, "position_fen": 2, "direction": "net-receiver",
                 "net_debit_cap_fen": null, "cap_breach_fen": null},
            ],
            "lines": [
                line(1, b0001.clone(), "card-float", [2, 2550, 0, -2550]),
                line(1, b0001.clone(), "interchange-income", [2, 0, 13, 13]),
                line(1, online.clone(), "card-float", [1, 0, 10000, 10000]),
                line(2, b0001.clone(), "acquired", [2, 0, 2535, 2535]),
                line(2, online, "collected-cash", [1, 10000, 0, -10000]),
                line(9, b0001, "network-fee-income", [2, 0, 2, 2]),
            ],
        })
    );
    let text = serde_json::to_string(&report).unwrap();
    assert_eq!(
        serde_json::from_str::<jinka_ledger::SettlementReport>(&text).unwrap(),
        report
    );
}

#[test]
fn every_line_traces_back_to_its_batch() {
    let report = close(&mut three_participants()).report;
    let acquired = report
        .lines()
        .iter()
        .find(|line| line.account() == AccountKind::Acquired)
        .unwrap();
    assert_eq!(
        acquired.source(),
        &jinka_ledger::LineSource::Batch(BatchRef {
            acquirer: participant(ACQUIRER),
            batch_id: batch("B-0001"),
        })
    );
    // Two purchase records in the batch, one entry each.
    assert_eq!(acquired.entries(), 2);
    // Each position is the sum of its lines.
    for position in report.positions() {
        let sum: i64 = report
            .lines()
            .iter()
            .filter(|line| line.participant() == position.participant())
            .map(|line| line.net().fen())
            .sum();
        assert_eq!(sum, position.net().fen());
    }
}

#[test]
fn an_empty_window_closes_without_a_settlement() {
    let mut ledger = Ledger::new(WindowId(7), Timestamp::from_unix_ms(5));
    let closed = ledger
        .close_window(Timestamp::from_unix_ms(5), TransactionId(1), &caps())
        .unwrap();
    assert_eq!(closed.settlement, None);
    assert!(closed.report.positions().is_empty());
    assert_eq!(closed.report.settlement_transaction_id(), None);
    assert_eq!(
        closed.report.positions_csv(),
        "window_id,participant,position_fen,direction,net_debit_cap_fen,cap_breach_fen\n"
    );
    assert_eq!(ledger.window().id(), WindowId(8));
    // The settlement id is used up all the same.
    assert_eq!(ledger.last_transaction_id(), Some(TransactionId(1)));
}

#[test]
fn a_net_sender_within_its_cap_is_not_flagged() {
    let mut ledger = three_participants();
    let caps = NetDebitCaps::from([(participant(ACQUIRER), Amount::from_fen(7465))]);
    let report = ledger
        .close_window(
            Timestamp::from_unix_ms(CLOSED_AT_MS),
            TransactionId(4),
            &caps,
        )
        .unwrap()
        .report;
    assert_eq!(report.cap_breaches().count(), 0);
    assert_eq!(
        report
            .position(participant(ACQUIRER))
            .unwrap()
            .net_debit_cap(),
        Some(Amount::from_fen(7465))
    );
}

#[test]
fn refusals_change_nothing() {
    let mut ledger = three_participants();
    let before = ledger.clone();
    let parties = PurchaseParties {
        acquirer: participant(ACQUIRER),
        issuer: participant(ISSUER),
        network: participant(NETWORK),
    };
    // A transaction posted again (or any id not above the last) is a replay.
    let replay = post_purchase(
        TransactionId(3),
        &purchase(1, 1300, 1),
        &batch("B-0001"),
        parties,
        &fees(),
    )
    .unwrap();
    let error = ledger.post(&replay).unwrap_err();
    assert_eq!(
        error,
        LedgerError::TransactionIdNotIncreasing {
            last: TransactionId(3),
            given: TransactionId(3)
        }
    );
    assert_eq!(error.kind(), LedgerErrorKind::RejectInput);
    // A window cannot close before it opened, nor with a used id.
    assert_eq!(
        ledger.close_window(
            Timestamp::from_unix_ms(OPENED_AT_MS - 1),
            TransactionId(4),
            &caps()
        ),
        Err(LedgerError::ClosedBeforeOpened {
            opened_at_ms: OPENED_AT_MS,
            closed_at_ms: OPENED_AT_MS - 1
        })
    );
    assert!(matches!(
        ledger.close_window(
            Timestamp::from_unix_ms(CLOSED_AT_MS),
            TransactionId(2),
            &caps()
        ),
        Err(LedgerError::TransactionIdNotIncreasing { .. })
    ));
    assert_eq!(ledger, before);

    // A settlement is posted by closing a window, never by `post`.
    let settlement = close(&mut ledger).settlement.unwrap();
    let after_close = ledger.clone();
    assert_eq!(
        ledger.post(&settlement),
        Err(LedgerError::SettlementNotPostable)
    );
    let mut window = WindowAccumulator::new(WindowId(1), Timestamp::from_unix_ms(0));
    assert_eq!(
        window.add(&settlement),
        Err(LedgerError::SettlementNotPostable)
    );
    assert_eq!(ledger, after_close);
}

#[test]
fn a_window_fed_by_itself_reports_as_the_ledger_does() {
    let mut window = WindowAccumulator::new(WindowId(1), Timestamp::from_unix_ms(OPENED_AT_MS));
    let parties = PurchaseParties {
        acquirer: participant(ACQUIRER),
        issuer: participant(ISSUER),
        network: participant(NETWORK),
    };
    let load_parties = LoadParties {
        load_agent: participant(ACQUIRER),
        issuer: participant(ISSUER),
    };
    let online = Origin::OnlineLoad {
        load_id: load_id("L-42"),
    };
    window
        .add(&post_load(TransactionId(1), &load(1, 10_000, 0), online, load_parties).unwrap())
        .unwrap();
    for (id, amount, atc) in [(2, 1250, 0), (3, 1300, 1)] {
        let posted = post_purchase(
            TransactionId(id),
            &purchase(1, amount, atc),
            &batch("B-0001"),
            parties,
            &fees(),
        )
        .unwrap();
        window.add(&posted).unwrap();
    }
    let expected = close(&mut three_participants()).report;
    let report = window
        .report(Timestamp::from_unix_ms(CLOSED_AT_MS), &caps())
        .unwrap();
    // The ledger also posted the settlement; the window alone does not.
    assert_eq!(report.settlement_transaction_id(), None);
    assert_eq!(report.positions(), expected.positions());
    assert_eq!(report.lines(), expected.lines());
    assert_eq!(report.transaction_count(), 3);
}
