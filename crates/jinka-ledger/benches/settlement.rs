//! Clearing and settling a window of ten million purchases (issue 4's benchmark: under 30 s,
//! under 1 GiB).
//!
//! Synthetic network of 200 participants: the network operator (1), 150 issuers (2..=151)
//! and 49 acquirers (152..=200). Purchases come in batches of 10 000 records, one acquirer per
//! batch (1 000 batches); each record's issuer and amount (1 fen to 200.00 yuan) are drawn by
//! a fixed xorshift, so every run clears the same records. Interchange is 0.5 % (0.6 % + 1 fen
//! for every tenth issuer), the network fee 0.1 %.
//!
//! Each record is built ([`TransactionRecord::new`]), cleared ([`post_purchase`]: fees, four
//! entries) and posted ([`Ledger::post`]: balances and the open window); then the window is
//! closed ([`Ledger::close_window`]: report, settlement). Before criterion runs, one full run
//! prints its time, the close alone, the heap's peak (a counting global allocator) and the
//! report's size. `/usr/bin/time -v` on the bench binary gives the process's peak RSS.
//!
//! Criterion then times `settlement/post_purchase` (one record: build, clear, post) and
//! `settlement/window_10m` (the whole run, 10 samples).
//!
//! Run with `cargo bench -p jinka-ledger --bench settlement`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use jinka_ledger::{
    Amount, BatchId, FeeRate, FeeSchedule, Ledger, NetDebitCaps, ParticipantId, PurchaseParties,
    SettlementReport, Timestamp, TransactionId, WindowId, post_purchase,
};
use jinka_record::{Date, RecordFields, Time, TransactionKind, TransactionRecord};

/// Tracks the bytes the bench binary has allocated and their peak.
struct PeakAllocator;

static CURRENT_BYTES: AtomicUsize = AtomicUsize::new(0);
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = CURRENT_BYTES.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK_BYTES.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`; the counters have no effect on memory.
unsafe impl GlobalAlloc for PeakAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: the caller's contract for `layout` is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        CURRENT_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        grew(new_size);
        // SAFETY: `ptr` was allocated by `System` through this allocator with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` through this allocator with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: PeakAllocator = PeakAllocator;

const RECORDS: u64 = 10_000_000;
const BATCH_RECORDS: u64 = 10_000;
const NETWORK: u32 = 1;
const ISSUERS: std::ops::RangeInclusive<u32> = 2..=151;
const ACQUIRERS: std::ops::RangeInclusive<u32> = 152..=200;

fn participant(id: u32) -> ParticipantId {
    ParticipantId::new(id).expect("bench participants are not 0")
}

fn fee_schedule() -> FeeSchedule {
    let rate = |basis_points, fixed_fen| {
        FeeRate::new(basis_points, Amount::from_fen(fixed_fen)).expect("bench rates are valid")
    };
    let mut schedule = FeeSchedule::flat(rate(50, 0), rate(10, 0));
    for issuer in ISSUERS.step_by(10) {
        schedule
            .interchange_by_issuer
            .insert(participant(issuer), rate(60, 1));
    }
    schedule
}

/// The synthetic record stream: the same records every run.
struct Records {
    state: u64,
    schedule: FeeSchedule,
    next_id: u64,
    batch_id: BatchId,
    acquirer: ParticipantId,
}

impl Records {
    fn new() -> Records {
        Records {
            state: 0x9E37_79B9_7F4A_7C15,
            schedule: fee_schedule(),
            next_id: 1,
            batch_id: BatchId::new("none").expect("valid"),
            acquirer: participant(*ACQUIRERS.start()),
        }
    }

    fn draw(&mut self) -> u64 {
        // xorshift64
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    /// Builds, clears and posts the next record.
    fn post_next(&mut self, ledger: &mut Ledger) {
        let index = self.next_id - 1;
        if index.is_multiple_of(BATCH_RECORDS) {
            let batch = index / BATCH_RECORDS;
            let acquirer = ACQUIRERS.start() + (batch % 49) as u32;
            self.acquirer = participant(acquirer);
            self.batch_id = BatchId::new(&format!("A{acquirer}-{batch:06}")).expect("valid");
        }
        let random = self.draw();
        let issuer = ISSUERS.start() + (random % 150) as u32;
        let amount_fen = 1 + ((random >> 16) % 20_000) as u32;
        let record = TransactionRecord::new(RecordFields {
            asn: (random >> 8).to_be_bytes(),
            issuer_id: [0x31, 0x04, 0, 0, 0, 0, 0, issuer as u8],
            kind: TransactionKind::Purchase,
            amount_fen,
            balance_before_fen: 50_000,
            atc: index as u16,
            terminal_id: [0x11, 0x22, 0x33, 0x44, 0x55, 0x66],
            terminal_serial: Some(index as u32),
            date: Date::from_ymd(2026, 11, 27).expect("valid"),
            time: Time::from_hms(8, 30, 0).expect("valid"),
            key_version: 1,
            algorithm_id: 4,
            tac: [0; 4],
        })
        .expect("a valid purchase");
        let parties = PurchaseParties {
            acquirer: self.acquirer,
            issuer: participant(issuer),
            network: participant(NETWORK),
        };
        let id = TransactionId(self.next_id);
        self.next_id += 1;
        let posted =
            post_purchase(id, &record, &self.batch_id, parties, &self.schedule).expect("clears");
        ledger.post(&posted).expect("posts");
    }
}

/// Every tenth issuer (a net sender here: there are purchases only) has a cap it breaches.
fn caps() -> NetDebitCaps {
    ISSUERS
        .step_by(10)
        .map(|issuer| (participant(issuer), Amount::from_fen(1_000_000)))
        .collect()
}

/// Posts `RECORDS` purchases and closes the window; the time of the close alone too.
fn window_10m() -> (SettlementReport, Duration) {
    let mut ledger = Ledger::new(WindowId(1), Timestamp::from_unix_ms(0));
    let mut records = Records::new();
    for _ in 0..RECORDS {
        records.post_next(&mut ledger);
    }
    let close_started = Instant::now();
    let closed = ledger
        .close_window(
            Timestamp::from_unix_ms(86_400_000),
            TransactionId(RECORDS + 1),
            &caps(),
        )
        .expect("closes");
    (closed.report, close_started.elapsed())
}

fn report_full_run() {
    let baseline = CURRENT_BYTES.load(Ordering::Relaxed);
    PEAK_BYTES.store(baseline, Ordering::Relaxed);
    let started = Instant::now();
    let (report, close) = window_10m();
    let elapsed = started.elapsed();
    let peak = PEAK_BYTES.load(Ordering::Relaxed) - baseline;
    let sum: i128 = report
        .positions()
        .iter()
        .map(|position| i128::from(position.net().fen()))
        .sum();
    assert_eq!(sum, 0);
    let started_csv = Instant::now();
    let csv_bytes = report.lines_csv().len();
    let csv = started_csv.elapsed();
    let mib = |bytes: usize| bytes as f64 / (1024.0 * 1024.0);
    println!(
        "settlement/window_10m (one run): {RECORDS} purchases in {:.2} s \
         (close {:.0} ms, {} positions, {} lines, {} cap breaches); heap peak {:.0} MiB; \
         lines CSV {:.1} MiB in {:.0} ms",
        elapsed.as_secs_f64(),
        close.as_secs_f64() * 1e3,
        report.positions().len(),
        report.lines().len(),
        report.cap_breaches().count(),
        mib(peak),
        mib(csv_bytes),
        csv.as_secs_f64() * 1e3,
    );
}

fn bench(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("settlement");
    group.bench_function("post_purchase", |bencher| {
        let mut ledger = Ledger::new(WindowId(1), Timestamp::from_unix_ms(0));
        let mut records = Records::new();
        bencher.iter(|| records.post_next(black_box(&mut ledger)));
    });
    // One full run per sample.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("window_10m", |bencher| bencher.iter(window_10m));
    group.finish();
}

fn main() {
    report_full_run();
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
}
