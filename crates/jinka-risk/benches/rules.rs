//! All the rules over a day of a busy network: 1,000,000 accepted records of 100,000 cards
//! (10 each, round by round, as terminals upload), in 100 batches of 10,000 decided records
//! shown through `RiskEvaluator::observe_batch` with each batch's card changes, as the hub's
//! ingest will show them. Among them: 1 % of cards travel between regions (quiet), 0.1 % are
//! clones in two regions at once (velocity), 0.5 % spend past the daily threshold, 0.1 % of
//! records are flagged `balance_discontinuity`, 0.5 % open a counter gap, and 0.1 % are
//! rejected `bad_tac` from 100 forging terminals.
//!
//! - `observe_batch/cold`: a new evaluator (its tables grow during the run);
//! - `observe_batch/warm`: an evaluator that saw the previous day (tables full-sized);
//! - `accepted_only`: the same records through `RiskEvaluator::accepted` alone.
//!
//! Per-record time = reported time / 1,000,000 (criterion prints throughput in elements).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use jinka_clearing::{
    Asn, AtcRange, BatchSummary, CardChange, CounterState, Decision, Flag, Flags, IngestChanges,
    IngestOutcome, Region, RejectReason, TerminalId, UploadedRecord,
};
use jinka_record::{Date, RecordFields, Time, TransactionKind, TransactionRecord};
use jinka_risk::{AcceptedRecord, RecordId, RiskConfig, RiskDecision, RiskEvaluator};

const CARDS: u32 = 100_000;
const RECORDS_PER_CARD: u16 = 10;
const BATCH_RECORDS: usize = 10_000;
const REGIONS: u32 = 20;
const TERMINALS: u32 = 2_000;
const ISSUER_ID: [u8; 8] = [0x31, 0x04, 0, 0, 0, 0, 0, 1];
/// The hub's time at the first batch; batches come a second apart.
const T0_MS: i64 = 1_795_000_000_000;

fn terminal(index: u32) -> TerminalId {
    let [a, b, c, d] = index.to_be_bytes();
    TerminalId::new([0, 0x20, a, b, c, d])
}

/// A terminal's region: terminals are dealt to regions in turn.
fn region_of(terminal_id: TerminalId) -> Option<Region> {
    let [_, _, a, b, c, d] = terminal_id.bytes();
    Some(Region::new(u32::from_be_bytes([a, b, c, d]) % REGIONS))
}

/// One day's decided batches.
struct Day {
    batches: Vec<(Vec<UploadedRecord>, IngestOutcome)>,
}

/// The `round`-th record of `card` on `day`, with its decision and whether it opens a gap.
fn record(card: u32, round: u16, day: u8) -> (TransactionRecord, Decision, bool) {
    let home = card % REGIONS;
    let clone = card % 1000 == 7;
    let traveller = card % 100 == 3;
    let big_spender = card % 200 == 11;
    // Home terminals are those of the card's region; travellers go three regions on at noon
    // (hours later), clones show up there within minutes.
    let away = (clone && round % 2 == 1) || (traveller && round >= 5);
    let region = if away { (home + 3) % REGIONS } else { home };
    let terminal_index = region + REGIONS * (card / REGIONS % (TERMINALS / REGIONS));
    let hour = if clone { 8 + round / 2 } else { 7 + round };
    let minute = if clone {
        10 * (round % 2)
    } else {
        (card % 60) as u16
    };
    let amount_fen = if big_spender {
        15_000
    } else {
        200 + card % 1_500
    };
    let atc = u16::from(day) * RECORDS_PER_CARD + round;
    let fields = RecordFields {
        asn: (0x3104_0000_0000_0000u64 + u64::from(card)).to_be_bytes(),
        issuer_id: ISSUER_ID,
        kind: if round.is_multiple_of(4) {
            TransactionKind::CappPurchase
        } else {
            TransactionKind::Purchase
        },
        amount_fen,
        balance_before_fen: 1_000_000,
        atc,
        terminal_id: terminal(terminal_index).bytes(),
        terminal_serial: Some(u32::from(atc)),
        date: Date::from_ymd(2026, 11, 20 + day).expect("a real day"),
        time: Time::from_hms(hour as u8, minute as u8, 0).expect("a real time"),
        key_version: 1,
        algorithm_id: 0x04,
        tac: [0; 4],
    };
    let serial = u32::from(round) * CARDS + card;
    if serial % 1000 == 500 {
        // A forger's copy, from one of the first 100 terminals.
        let forged = RecordFields {
            terminal_id: terminal(serial / 1000 % 100).bytes(),
            ..fields
        };
        let decision = Decision::Rejected {
            reason: RejectReason::BadTac,
        };
        return (
            TransactionRecord::new(forged).expect("a record"),
            decision,
            false,
        );
    }
    let mut flags = Flags::NONE;
    if serial % 1000 == 123 {
        flags = flags.with(Flag::BalanceDiscontinuity);
    }
    let gap = serial % 200 == 17 && round > 0;
    if gap {
        flags = flags.with(Flag::CounterGap);
    }
    let record = TransactionRecord::new(fields).expect("a record");
    (record, Decision::Accepted { flags }, gap)
}

fn day(day: u8) -> Day {
    let mut batches = Vec::new();
    let (mut records, mut decisions, mut cards) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..RECORDS_PER_CARD {
        for card in 0..CARDS {
            let (record, decision, gap) = record(card, round, day);
            let atc = record.atc();
            let gaps = match (gap, atc.checked_sub(1)) {
                (true, Some(below)) => vec![AtcRange::new(below, below).expect("a range")],
                _ => Vec::new(),
            };
            if decision.is_accepted() {
                cards.push(CardChange {
                    asn: Asn::new(record.asn()),
                    shadow_balance_before_fen: 0,
                    shadow_balance_after_fen: 0,
                    offline: CounterState::from_parts(Some(atc), gaps).expect("a counter"),
                    online: CounterState::new(),
                });
            }
            records.push(Ok(record));
            decisions.push(decision);
            if records.len() == BATCH_RECORDS {
                let outcome = IngestOutcome {
                    decisions: std::mem::take(&mut decisions),
                    changes: IngestChanges {
                        cards: std::mem::take(&mut cards),
                        loads: Vec::new(),
                    },
                    summary: BatchSummary::default(),
                };
                batches.push((std::mem::take(&mut records), outcome));
            }
        }
    }
    Day { batches }
}

fn run(risk: &mut RiskEvaluator, day: &Day, start_ms: i64, out: &mut Vec<RiskDecision>) {
    for (index, (records, outcome)) in (0i64..).zip(&day.batches) {
        let base = index as u64 * BATCH_RECORDS as u64;
        let record_id = |i: usize| RecordId::new(base + i as u64);
        let at_ms = start_ms + index * 1000;
        risk.observe_batch((records, outcome), record_id, region_of, at_ms, out);
    }
}

fn rules(c: &mut Criterion) {
    let (yesterday, today) = (day(0), day(1));
    let records: u64 = today.batches.iter().map(|(r, _)| r.len() as u64).sum();
    let config = RiskConfig::default();
    let mut warm = RiskEvaluator::new(config.clone());
    let mut decisions = Vec::new();
    run(&mut warm, &yesterday, T0_MS, &mut decisions);
    // The next day's batches come 26 hours on: yesterday's quiet periods (24 hours) are over.
    let today_ms = T0_MS + 26 * 3_600_000;
    {
        let mut check = warm.clone();
        decisions.clear();
        run(&mut check, &today, today_ms, &mut decisions);
        let mut counts = [0usize; 5];
        for decision in &decisions {
            counts[jinka_risk::RULES
                .iter()
                .position(|r| *r == decision.rule)
                .unwrap_or(0)] += 1;
        }
        eprintln!(
            "{records} records, {} cards kept; decisions per rule (daily_spend, velocity, \
             bad_tac, balance_discontinuity, counter_gap): {counts:?}",
            check.sizes().cards
        );
    }

    let mut group = c.benchmark_group("rules");
    group.sample_size(10);
    group.throughput(Throughput::Elements(records));
    group.bench_function("observe_batch/cold", |b| {
        b.iter_batched(
            || {
                (
                    RiskEvaluator::new(config.clone()),
                    Vec::with_capacity(10_000),
                )
            },
            |(mut risk, mut out)| {
                run(&mut risk, black_box(&today), today_ms, &mut out);
                (risk, out)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("observe_batch/warm", |b| {
        b.iter_batched(
            || (warm.clone(), Vec::with_capacity(10_000)),
            |(mut risk, mut out)| {
                run(&mut risk, black_box(&today), today_ms, &mut out);
                (risk, out)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("accepted_only/warm", |b| {
        b.iter_batched(
            || (warm.clone(), Vec::with_capacity(10_000)),
            |(mut risk, mut out)| {
                for (index, (records, outcome)) in (0i64..).zip(&today.batches) {
                    let at_ms = today_ms + index * 1000;
                    for (i, (record, decision)) in
                        records.iter().zip(&outcome.decisions).enumerate()
                    {
                        let (Ok(record), Decision::Accepted { flags }) = (record, decision) else {
                            continue;
                        };
                        let accepted = AcceptedRecord {
                            id: RecordId::new(i as u64),
                            record,
                            flags: *flags,
                            region: region_of(TerminalId::new(record.terminal_id())),
                        };
                        risk.accepted(black_box(&accepted), at_ms, &mut out);
                    }
                }
                (risk, out)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, rules);
criterion_main!(benches);
