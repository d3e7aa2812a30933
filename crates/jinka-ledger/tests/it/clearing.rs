//! Clearing one record: the exact entries of a purchase and a load, fees and their rounding,
//! and the transactions the ledger refuses to build.

use jinka_ledger::{
    AccountId, AccountKind, Amount, BatchRef, Counter, Entry, FeeSchedule, LedgerError,
    LedgerErrorKind, LedgerTransaction, LoadParties, Origin, PostingKind, PurchaseParties,
    RecordKey, SourceRef, TransactionId, WindowId, post_load, post_purchase,
};

use crate::fixtures::{
    ACQUIRER, ISSUER, NETWORK, batch, capp_purchase, fees, load, load_id, participant, purchase,
    rate,
};

fn parties() -> PurchaseParties {
    PurchaseParties {
        acquirer: participant(ACQUIRER),
        issuer: participant(ISSUER),
        network: participant(NETWORK),
    }
}

fn account(id: u32, kind: AccountKind) -> AccountId {
    AccountId::new(participant(id), kind)
}

fn fen(amount: u64) -> Amount {
    Amount::from_fen(amount)
}

/// The amounts of a purchase's four entries: card float, acquired, interchange, network fee.
fn purchase_amounts(amount_fen: u32, fees: &FeeSchedule) -> [u64; 4] {
    let posted = post_purchase(
        TransactionId(1),
        &purchase(7, amount_fen, 0),
        &batch("B"),
        parties(),
        fees,
    )
    .unwrap();
    let amounts: Vec<u64> = posted.entries().iter().map(|e| e.amount.fen()).collect();
    amounts.try_into().unwrap()
}

#[test]
fn a_purchase_of_12_50_yuan_with_half_and_tenth_percent_fees() {
    let record = purchase(0x0000_0000_0000_0001, 1250, 3);
    let posted = post_purchase(
        TransactionId(10),
        &record,
        &batch("B-0001"),
        parties(),
        &fees(),
    )
    .unwrap();
    // Interchange: 1250 × 50 / 10000 = 6.25 → 6 fen. Network fee: 1250 × 10 / 10000 = 1.25 →
    // 1 fen. The acquirer is owed 1250 − 6 − 1 = 1243 fen.
    assert_eq!(
        posted.entries(),
        [
            Entry::debit(account(ISSUER, AccountKind::CardFloat), fen(1250)),
            Entry::credit(account(ACQUIRER, AccountKind::Acquired), fen(1243)),
            Entry::credit(account(ISSUER, AccountKind::InterchangeIncome), fen(6)),
            Entry::credit(account(NETWORK, AccountKind::NetworkFeeIncome), fen(1)),
        ]
    );
    assert_eq!(posted.total(), fen(1250));
    assert_eq!(posted.id(), TransactionId(10));
    assert_eq!(posted.kind(), PostingKind::Purchase);
    assert_eq!(
        posted.source(),
        &SourceRef::Record {
            origin: Origin::Batch(BatchRef {
                acquirer: participant(ACQUIRER),
                batch_id: batch("B-0001"),
            }),
            record: RecordKey {
                asn: [0, 0, 0, 0, 0, 0, 0, 1],
                counter: Counter::Offline,
                atc: 3,
            },
        }
    );
}

#[test]
fn fees_round_half_up_to_the_fen() {
    // 1300 × 0.5 % = 6.5 → 7; 1300 × 0.1 % = 1.3 → 1.
    assert_eq!(purchase_amounts(1300, &fees()), [1300, 1292, 7, 1]);
    // 1500 × 0.1 % = 1.5 → 2; 1499 × 0.1 % = 1.499 → 1.
    assert_eq!(purchase_amounts(1500, &fees()), [1500, 1490, 8, 2]);
    assert_eq!(purchase_amounts(1499, &fees()), [1499, 1491, 7, 1]);
    // Below a fen: 99 × 0.5 % = 0.495 → 0, 100 × 0.5 % = 0.5 → 1.
    assert_eq!(purchase_amounts(99, &fees()), [99, 99, 0, 0]);
    assert_eq!(purchase_amounts(100, &fees()), [100, 99, 1, 0]);
    // Fixed parts add after rounding: 1250 × 0.5 % + 20 = 26, 1250 × 0.1 % + 5 = 6.
    let fixed = FeeSchedule::flat(rate(50, 20), rate(10, 5));
    assert_eq!(purchase_amounts(1250, &fixed), [1250, 1218, 26, 6]);
}

#[test]
fn fees_never_exceed_the_amount() {
    // A fixed fee larger than the purchase takes it all; the network fee gets what is left.
    let steep = FeeSchedule::flat(rate(0, 30), rate(0, 30));
    assert_eq!(purchase_amounts(20, &steep), [20, 0, 20, 0]);
    assert_eq!(purchase_amounts(50, &steep), [50, 0, 30, 20]);
    let all = FeeSchedule::flat(rate(10_000, 0), rate(10_000, 0));
    assert_eq!(
        purchase_amounts(u32::MAX, &all),
        [u64::from(u32::MAX), 0, u64::from(u32::MAX), 0]
    );
    // A purchase of nothing posts its four entries of nothing.
    assert_eq!(purchase_amounts(0, &steep), [0, 0, 0, 0]);
}

#[test]
fn issuers_and_acquirers_can_have_their_own_rates() {
    let mut schedule = fees();
    schedule
        .interchange_by_issuer
        .insert(participant(ISSUER), rate(100, 0));
    schedule
        .network_fee_by_acquirer
        .insert(participant(ACQUIRER), rate(0, 3));
    // 1250 × 1 % = 12.5 → 13; network 3 fixed.
    assert_eq!(purchase_amounts(1250, &schedule), [1250, 1234, 13, 3]);
    // Another issuer and acquirer get the defaults.
    assert_eq!(schedule.interchange_rate(participant(5)), rate(50, 0));
    assert_eq!(schedule.network_fee_rate(participant(5)), rate(10, 0));
}

#[test]
fn a_compound_purchase_clears_as_a_purchase() {
    let posted = post_purchase(
        TransactionId(1),
        &capp_purchase(1, 1250, 0),
        &batch("B"),
        parties(),
        &fees(),
    )
    .unwrap();
    assert_eq!(posted.kind(), PostingKind::Purchase);
    assert_eq!(posted.total(), fen(1250));
}

#[test]
fn an_on_us_purchase_leaves_the_issuer_the_network_fee_to_pay() {
    let on_us = PurchaseParties {
        acquirer: participant(ISSUER),
        ..parties()
    };
    let posted = post_purchase(
        TransactionId(1),
        &purchase(1, 1250, 0),
        &batch("B"),
        on_us,
        &fees(),
    )
    .unwrap();
    let issuer_net: i64 = posted
        .entries()
        .iter()
        .filter(|entry| entry.account.participant == participant(ISSUER))
        .map(|entry| match entry.side {
            jinka_ledger::Side::Debit => -(entry.amount.fen() as i64),
            jinka_ledger::Side::Credit => entry.amount.fen() as i64,
        })
        .sum();
    assert_eq!(issuer_net, -1);
}

#[test]
fn a_load_moves_collected_cash_into_the_card_float() {
    let record = load(0x0000_0000_0000_0001, 10_000, 41);
    let agent = participant(ACQUIRER);
    let parties = LoadParties {
        load_agent: agent,
        issuer: participant(ISSUER),
    };
    let origin = Origin::OnlineLoad {
        load_id: load_id("L-42"),
    };
    let posted = post_load(TransactionId(5), &record, origin.clone(), parties).unwrap();
    assert_eq!(
        posted.entries(),
        [
            Entry::debit(account(ACQUIRER, AccountKind::CollectedCash), fen(10_000)),
            Entry::credit(account(ISSUER, AccountKind::CardFloat), fen(10_000)),
        ]
    );
    assert_eq!(posted.kind(), PostingKind::Load);
    assert_eq!(
        posted.source(),
        &SourceRef::Record {
            origin,
            record: RecordKey {
                asn: [0, 0, 0, 0, 0, 0, 0, 1],
                counter: Counter::Online,
                atc: 41,
            },
        }
    );
}

#[test]
fn records_of_the_wrong_type_are_refused() {
    let load_parties = LoadParties {
        load_agent: participant(ACQUIRER),
        issuer: participant(ISSUER),
    };
    let error = post_purchase(
        TransactionId(1),
        &load(1, 100, 0),
        &batch("B"),
        parties(),
        &fees(),
    )
    .unwrap_err();
    assert_eq!(
        error,
        LedgerError::WrongRecordType {
            expected: "purchase",
            found: "load"
        }
    );
    assert_eq!(error.kind(), LedgerErrorKind::RejectInput);
    let origin = Origin::Batch(BatchRef {
        acquirer: participant(ACQUIRER),
        batch_id: batch("B"),
    });
    assert_eq!(
        post_load(
            TransactionId(1),
            &capp_purchase(1, 100, 0),
            origin,
            load_parties
        ),
        Err(LedgerError::WrongRecordType {
            expected: "load",
            found: "capp-purchase"
        })
    );
}

#[test]
fn unbalanced_or_misshapen_transactions_are_refused() {
    let good = post_purchase(
        TransactionId(1),
        &purchase(1, 1250, 0),
        &batch("B"),
        parties(),
        &fees(),
    )
    .unwrap();
    let rebuild = |kind, source: SourceRef, entries: Vec<Entry>| {
        LedgerTransaction::new(TransactionId(1), kind, source, entries)
    };
    let source = good.source().clone();
    assert_eq!(
        rebuild(
            PostingKind::Purchase,
            source.clone(),
            good.entries().to_vec()
        ),
        Ok(good.clone())
    );

    let mut unbalanced = good.entries().to_vec();
    unbalanced[1].amount = fen(1244);
    assert_eq!(
        rebuild(PostingKind::Purchase, source.clone(), unbalanced),
        Err(LedgerError::Unbalanced {
            debits_fen: 1250,
            credits_fen: 1251
        })
    );

    let inconsistent = |result: Result<LedgerTransaction, LedgerError>| {
        matches!(result, Err(LedgerError::InconsistentTransaction { .. }))
    };
    // Balanced, but not a purchase's shape: card float paid straight to the acquirer's fee.
    let mut swapped = good.entries().to_vec();
    swapped.swap(1, 2);
    assert!(inconsistent(rebuild(
        PostingKind::Purchase,
        source.clone(),
        swapped
    )));
    // The acquirer owed is not the one that uploaded the batch.
    let mut other_acquirer = good.entries().to_vec();
    other_acquirer[1].account.participant = participant(3);
    assert!(inconsistent(rebuild(
        PostingKind::Purchase,
        source.clone(),
        other_acquirer
    )));
    // A purchase is not a load, nor a settlement.
    assert!(inconsistent(rebuild(
        PostingKind::Load,
        source.clone(),
        good.entries().to_vec()
    )));
    assert!(inconsistent(rebuild(
        PostingKind::Settlement,
        source,
        good.entries().to_vec()
    )));
    // A settlement comes from a window close and touches settlement accounts only.
    let settlement_source = SourceRef::WindowClose {
        window_id: WindowId(1),
    };
    assert!(inconsistent(rebuild(
        PostingKind::Settlement,
        settlement_source.clone(),
        vec![
            Entry::debit(account(ISSUER, AccountKind::CardFloat), fen(5)),
            Entry::credit(account(ACQUIRER, AccountKind::Settlement), fen(5)),
        ]
    )));
    assert!(inconsistent(rebuild(
        PostingKind::Settlement,
        settlement_source.clone(),
        vec![]
    )));
    assert!(
        rebuild(
            PostingKind::Settlement,
            settlement_source,
            vec![
                Entry::debit(account(ISSUER, AccountKind::Settlement), fen(5)),
                Entry::credit(account(ACQUIRER, AccountKind::Settlement), fen(5)),
            ]
        )
        .is_ok()
    );
}
