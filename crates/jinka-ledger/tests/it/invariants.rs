//! Property tests of the money invariants (`hub.md` § Invariants 1, 2): every transaction
//! balances, fees never exceed the amount and round half up, money is never created over
//! random sequences of loads, purchases and window closes with random fee schedules.

use std::collections::BTreeMap;

use jinka_ledger::{
    AccountKind, Amount, BatchRef, FeeRate, FeeSchedule, Ledger, LoadParties, NetDebitCaps, Origin,
    ParticipantId, PurchaseParties, Side, Timestamp, TransactionId, WindowId, post_load,
    post_purchase,
};
use proptest::prelude::*;

use crate::fixtures::{batch, load, load_id, participant, purchase};

/// Participants 1..=PARTICIPANTS play every role; the network operator is one of them too.
const PARTICIPANTS: u32 = 4;

fn fee_rate() -> impl Strategy<Value = FeeRate> {
    (
        prop_oneof![0u32..=200, 0u32..=10_000],
        prop_oneof![Just(0u64), 0u64..=500, any::<u64>()],
    )
        .prop_map(|(basis_points, fixed)| {
            FeeRate::new(basis_points, Amount::from_fen(fixed)).unwrap()
        })
}

fn fee_schedule() -> impl Strategy<Value = FeeSchedule> {
    let overrides = || proptest::collection::btree_map(1..=PARTICIPANTS, fee_rate(), 0..3);
    (fee_rate(), overrides(), fee_rate(), overrides()).prop_map(
        |(interchange, by_issuer, network_fee, by_acquirer)| {
            let keyed = |rates: BTreeMap<u32, FeeRate>| {
                rates
                    .into_iter()
                    .map(|(id, rate)| (participant(id), rate))
                    .collect()
            };
            FeeSchedule {
                default_interchange: interchange,
                interchange_by_issuer: keyed(by_issuer),
                default_network_fee: network_fee,
                network_fee_by_acquirer: keyed(by_acquirer),
            }
        },
    )
}

fn amount() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..=100_000, any::<u32>()]
}

fn someone() -> impl Strategy<Value = ParticipantId> {
    (1..=PARTICIPANTS).prop_map(participant)
}

#[derive(Clone, Debug)]
enum Op {
    Load {
        parties: LoadParties,
        amount_fen: u32,
        online: bool,
    },
    Purchase {
        parties: PurchaseParties,
        amount_fen: u32,
        batch: u8,
    },
    Close {
        caps: NetDebitCaps,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let load = (someone(), someone(), amount(), any::<bool>()).prop_map(
        |(load_agent, issuer, amount_fen, online)| Op::Load {
            parties: LoadParties { load_agent, issuer },
            amount_fen,
            online,
        },
    );
    let purchase = (someone(), someone(), someone(), amount(), 0u8..3).prop_map(
        |(acquirer, issuer, network, amount_fen, batch)| Op::Purchase {
            parties: PurchaseParties {
                acquirer,
                issuer,
                network,
            },
            amount_fen,
            batch,
        },
    );
    let caps = proptest::collection::btree_map(
        someone(),
        (0u64..200_000).prop_map(Amount::from_fen),
        0..3,
    )
    .prop_map(|caps| Op::Close { caps });
    prop_oneof![4 => load, 6 => purchase, 1 => caps]
}

/// Σ loads − Σ purchases by issuer, as the test counts them.
#[derive(Default)]
struct Model {
    card_float: BTreeMap<ParticipantId, i128>,
    window_purchases: BTreeMap<ParticipantId, u64>,
}

/// Σ debits and Σ credits over all accounts.
fn trial_balance(ledger: &Ledger) -> (u128, u128) {
    ledger
        .accounts()
        .fold((0, 0), |(debits, credits), (_, balance)| {
            (
                debits + u128::from(balance.debits.fen()),
                credits + u128::from(balance.credits.fen()),
            )
        })
}

fn check_ledger(ledger: &Ledger, model: &Model) -> Result<(), TestCaseError> {
    let (debits, credits) = trial_balance(ledger);
    prop_assert_eq!(debits, credits, "money created or lost");
    prop_assert_eq!(debits, u128::from(ledger.total().fen()));
    for issuer in (1..=PARTICIPANTS).map(participant) {
        let expected = model.card_float.get(&issuer).copied().unwrap_or(0);
        let card_float = ledger.card_float(issuer).unwrap();
        prop_assert_eq!(
            i128::from(card_float.fen()),
            expected,
            "card float of {}",
            issuer
        );
    }
    let open: i128 = ledger
        .window()
        .positions()
        .map(|(_, net)| i128::from(net.fen()))
        .sum();
    prop_assert_eq!(open, 0, "open positions do not sum to zero");
    Ok(())
}

fn check_close(
    ledger: &mut Ledger,
    model: &mut Model,
    id: TransactionId,
    caps: &NetDebitCaps,
) -> Result<(), TestCaseError> {
    let closed_at = Timestamp::from_unix_ms(ledger.window().opened_at().unix_ms() + 1000);
    let closed = ledger.close_window(closed_at, id, caps).unwrap();
    let report = &closed.report;
    let sum: i128 = report
        .positions()
        .iter()
        .map(|p| i128::from(p.net().fen()))
        .sum();
    prop_assert_eq!(sum, 0);
    for position in report.positions() {
        let deficit = position.net().deficit();
        let breached = caps
            .get(&position.participant())
            .is_some_and(|cap| deficit > *cap);
        prop_assert_eq!(position.cap_breach().is_some(), breached);
        // Reconciliation: an acquirer's acquired lines count its purchases in the window.
        let acquired: u64 = report
            .lines()
            .iter()
            .filter(|line| {
                line.participant() == position.participant()
                    && line.account() == AccountKind::Acquired
            })
            .map(|line| line.entries())
            .sum();
        let purchases = model.window_purchases.get(&position.participant()).copied();
        prop_assert_eq!(acquired, purchases.unwrap_or(0));
    }
    model.window_purchases.clear();
    // The settlement pays exactly the non-zero positions.
    let paid: Vec<(ParticipantId, i128)> = closed
        .settlement
        .iter()
        .flat_map(|settlement| settlement.entries())
        .map(|entry| {
            let fen = i128::from(entry.amount.fen());
            let net = if entry.side == Side::Debit { fen } else { -fen };
            (entry.account.participant, net)
        })
        .collect();
    let positions: Vec<(ParticipantId, i128)> = report
        .positions()
        .iter()
        .filter(|p| p.net().fen() != 0)
        .map(|p| (p.participant(), i128::from(p.net().fen())))
        .collect();
    prop_assert_eq!(paid, positions);
    // Everyone is square after the close.
    let mut owed: BTreeMap<ParticipantId, i128> = BTreeMap::new();
    for (account, balance) in ledger.accounts() {
        *owed.entry(account.participant).or_default() +=
            i128::from(balance.credits.fen()) - i128::from(balance.debits.fen());
    }
    prop_assert!(owed.values().all(|net| *net == 0), "not square: {:?}", owed);
    // The JSON report reads back; the CSV has a row per line.
    let text = serde_json::to_string(report).unwrap();
    prop_assert_eq!(
        &serde_json::from_str::<jinka_ledger::SettlementReport>(&text).unwrap(),
        report
    );
    prop_assert_eq!(report.lines_csv().lines().count(), report.lines().len() + 1);
    prop_assert_eq!(
        report.positions_csv().lines().count(),
        report.positions().len() + 1
    );
    Ok(())
}

proptest! {
    #[test]
    fn fees_round_half_up_and_never_exceed_the_amount(
        amount_fen: u64,
        rate in fee_rate(),
    ) {
        let amount = Amount::from_fen(amount_fen);
        let fee = rate.fee(amount);
        prop_assert!(fee <= amount);
        let exact = u128::from(amount_fen) * u128::from(rate.basis_points()); // fee × 10 000
        let proportional = u128::from(amount_fen) * u128::from(rate.basis_points()) / 10_000
            + u128::from(exact % 10_000 >= 5_000);
        // The nearest fen, halves up: within half a fen, and a half rounds up.
        let scaled = proportional * 10_000;
        prop_assert!(scaled.abs_diff(exact) <= 5_000);
        prop_assert!(scaled.abs_diff(exact) < 5_000 || scaled > exact);
        let expected = (proportional + u128::from(rate.fixed().fen())).min(u128::from(amount_fen));
        prop_assert_eq!(u128::from(fee.fen()), expected);
    }

    #[test]
    fn exact_halves_round_up(
        odd in 0u64..1_000_000,
        basis_points in proptest::sample::select(&[1u32, 2, 4, 5, 8, 10, 25, 50, 125, 1000, 5000][..]),
    ) {
        // basis points divide 5000, so amount × bp = (2·odd + 1) × 5000: exactly half a fen
        // over a whole number of fen.
        let amount_fen = (2 * odd + 1) * 5000 / u64::from(basis_points);
        let fee = FeeRate::new(basis_points, Amount::ZERO).unwrap().fee(Amount::from_fen(amount_fen));
        prop_assert_eq!(fee.fen() * 10_000, amount_fen * u64::from(basis_points) + 5_000);
    }

    #[test]
    fn every_purchase_balances_and_pays_the_acquirer_the_rest(
        amount_fen in amount(),
        schedule in fee_schedule(),
        acquirer in someone(),
        issuer in someone(),
        network in someone(),
    ) {
        let parties = PurchaseParties { acquirer, issuer, network };
        let posted = post_purchase(
            TransactionId(1), &purchase(1, amount_fen, 0), &batch("B"), parties, &schedule,
        ).unwrap();
        let (mut debits, mut credits) = (0u128, 0u128);
        for entry in posted.entries() {
            match entry.side {
                Side::Debit => debits += u128::from(entry.amount.fen()),
                Side::Credit => credits += u128::from(entry.amount.fen()),
            }
        }
        prop_assert_eq!(debits, credits);
        prop_assert_eq!(debits, u128::from(amount_fen));
        let fees = schedule.fees(issuer, acquirer, Amount::from(amount_fen));
        prop_assert!(u128::from(fees.interchange.fen()) + u128::from(fees.network.fen()) <= u128::from(amount_fen));
        prop_assert_eq!(fees.interchange, schedule.interchange_rate(issuer).fee(Amount::from(amount_fen)));
        let amounts: Vec<u64> = posted.entries().iter().map(|e| e.amount.fen()).collect();
        prop_assert_eq!(
            amounts,
            vec![
                u64::from(amount_fen),
                u64::from(amount_fen) - fees.interchange.fen() - fees.network.fen(),
                fees.interchange.fen(),
                fees.network.fen(),
            ]
        );
        let text = serde_json::to_string(&posted).unwrap();
        prop_assert_eq!(serde_json::from_str::<jinka_ledger::LedgerTransaction>(&text).unwrap(), posted);
    }

    #[test]
    fn money_is_never_created(
        schedule in fee_schedule(),
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let mut ledger = Ledger::new(WindowId(1), Timestamp::from_unix_ms(0));
        let mut model = Model::default();
        for (index, op) in ops.iter().enumerate() {
            let id = TransactionId(index as u64 + 1);
            let atc = index as u16;
            match op {
                Op::Load { parties, amount_fen, online } => {
                    let origin = if *online {
                        Origin::OnlineLoad { load_id: load_id(&format!("L-{index}")) }
                    } else {
                        Origin::Batch(BatchRef { acquirer: parties.load_agent, batch_id: batch("LOADS") })
                    };
                    let posted = post_load(id, &load(1, *amount_fen, atc), origin, *parties).unwrap();
                    ledger.post(&posted).unwrap();
                    *model.card_float.entry(parties.issuer).or_default() += i128::from(*amount_fen);
                }
                Op::Purchase { parties, amount_fen, batch: which } => {
                    let batch_id = batch(&format!("B-{which}"));
                    let posted = post_purchase(id, &purchase(1, *amount_fen, atc), &batch_id, *parties, &schedule).unwrap();
                    ledger.post(&posted).unwrap();
                    *model.card_float.entry(parties.issuer).or_default() -= i128::from(*amount_fen);
                    *model.window_purchases.entry(parties.acquirer).or_default() += 1;
                }
                Op::Close { caps } => check_close(&mut ledger, &mut model, id, caps)?,
            }
            check_ledger(&ledger, &model)?;
        }
        // Storage's form reads back to the same ledger.
        let text = serde_json::to_string(&ledger).unwrap();
        prop_assert_eq!(serde_json::from_str::<Ledger>(&text).unwrap(), ledger);
    }
}
