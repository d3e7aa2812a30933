//! The evaluator's saved state at a network's size, before (a `RiskState` snapshot and its
//! JSON text, as the hub saved it) and after (the binary form, written to and read from
//! 1 MiB chunks, as the hub now stores it): bytes, time, and the most memory allocated
//! beyond the evaluator while saving or loading (a counting allocator).
//!
//! `cargo run --release -p jinka-risk --example state_size [cards]` (default 1,000,000).
//! The state is what the simulation leaves: each card bought on two days at terminals of its
//! region and was loaded online once; some were seen in two regions, some spent past the
//! daily threshold, some opened counter gaps; some terminals sent bad TACs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use jinka_clearing::{Asn, AtcRange, Flag, Flags, IssuerId, Region, RejectReason, TerminalId};
use jinka_record::{CounterKind, Date, RecordFields, Time, TransactionKind, TransactionRecord};
use jinka_risk::{
    AcceptedRecord, ApprovedLoad, GapReport, RecordId, RejectedRecord, RiskConfig, RiskEvaluator,
    RiskState,
};

/// Counts the bytes allocated now, and the most at once since the last reset.
struct Counting;

static NOW_BYTES: AtomicUsize = AtomicUsize::new(0);
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let now = NOW_BYTES.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK_BYTES.fetch_max(now, Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        NOW_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(pointer, layout, size) };
        if !moved.is_null() {
            if size >= layout.size() {
                let now = NOW_BYTES.fetch_add(size - layout.size(), Ordering::Relaxed)
                    + (size - layout.size());
                PEAK_BYTES.fetch_max(now, Ordering::Relaxed);
            } else {
                NOW_BYTES.fetch_sub(layout.size() - size, Ordering::Relaxed);
            }
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn now_bytes() -> usize {
    NOW_BYTES.load(Ordering::Relaxed)
}

/// Starts a measurement: the peak is reset to what is allocated now.
fn reset_peak() -> usize {
    let now = now_bytes();
    PEAK_BYTES.store(now, Ordering::Relaxed);
    now
}

fn peak_bytes() -> usize {
    PEAK_BYTES.load(Ordering::Relaxed)
}

const MIB: f64 = 1024.0 * 1024.0;
const CHUNK_BYTES: usize = 1 << 20;
const REGIONS: u32 = 20;
const TERMINALS: u32 = 20_000;
const ISSUER_ID: [u8; 8] = [0x31, 0x04, 0, 0, 0, 0, 0, 1];
const T0_MS: i64 = 1_795_000_000_000;

fn asn(card: u32) -> [u8; 8] {
    (0x3104_0000_0000_0000u64 + u64::from(card)).to_be_bytes()
}

fn terminal(index: u32) -> TerminalId {
    let [a, b, c, d] = index.to_be_bytes();
    TerminalId::new([0, 0x20, a, b, c, d])
}

fn purchase(card: u32, atc: u16, day: u8, hour: u8) -> TransactionRecord {
    TransactionRecord::new(RecordFields {
        asn: asn(card),
        issuer_id: ISSUER_ID,
        kind: TransactionKind::Purchase,
        amount_fen: if card % 200 == 11 {
            60_000
        } else {
            200 + card % 1_500
        },
        balance_before_fen: 500_000,
        atc,
        terminal_id: terminal(card % TERMINALS).bytes(),
        terminal_serial: Some(u32::from(atc)),
        date: Date::from_ymd(2026, 11, day).expect("a date"),
        time: Time::from_hms(hour, 0, 0).expect("a time"),
        key_version: 1,
        algorithm_id: 4,
        tac: [0; 4],
    })
    .expect("a record")
}

/// An evaluator that has seen two days of `cards` cards.
fn filled(cards: u32) -> RiskEvaluator {
    let mut risk = RiskEvaluator::new(RiskConfig::default());
    let mut out = Vec::new();
    let mut id = 0u64;
    for card in 0..cards {
        let home = card % REGIONS;
        for (atc, day) in [(0u16, 26u8), (1, 26), (2, 27), (3, 27)] {
            let away = card % 1000 == 7 && atc == 3;
            let region = Region::new(if away { home + 3 } else { home });
            let flags = match card % 1000 {
                3 if atc == 3 => Flags::NONE.with(Flag::BalanceDiscontinuity),
                5 if atc == 3 => Flags::NONE.with(Flag::CounterGap),
                _ => Flags::NONE,
            };
            id += 1;
            let record = purchase(card, atc, day, 8 + atc as u8);
            let seen = AcceptedRecord {
                id: RecordId::new(id),
                record: &record,
                flags,
                region: Some(region),
            };
            risk.accepted(&seen, T0_MS + i64::from(card), &mut out);
        }
        let load = ApprovedLoad {
            id: RecordId::new(1 << 63 | u64::from(card % 65_536)),
            asn: Asn::new(asn(card)),
            issuer_id: IssuerId::new(ISSUER_ID),
            region: Region::new(home),
            date: Date::from_ymd(2026, 11, 27).expect("a date"),
            time: Time::from_hms(20, 0, 0).expect("a time"),
        };
        risk.load_approved(&load, T0_MS + i64::from(card), &mut out);
        if card % 1000 == 5 {
            let open = [AtcRange::new(1, 2).expect("a range")];
            let report = GapReport {
                asn: Asn::new(asn(card)),
                issuer_id: IssuerId::new(ISSUER_ID),
                counter_kind: CounterKind::Offline,
                open: &open,
            };
            risk.counter_gaps(&report, T0_MS + i64::from(card), &mut out);
        }
        if card % 100 == 9 {
            id += 1;
            let rejected = RejectedRecord {
                id: RecordId::new(id),
                terminal_id: terminal(card / 100 % 5_000),
                reason: RejectReason::BadTac,
            };
            risk.rejected(&rejected, T0_MS + i64::from(card), &mut out);
        }
        out.clear();
    }
    risk
}

/// Takes 1 MiB chunks as the hub's storage does (each one copied, as a database would).
struct Chunks {
    buffer: Vec<u8>,
    stored: Vec<Vec<u8>>,
    keep: bool,
}

impl Write for Chunks {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.buffer.len() >= CHUNK_BYTES {
            self.flush()?;
        }
        let taken = bytes.len().min(CHUNK_BYTES - self.buffer.len());
        self.buffer.extend_from_slice(&bytes[..taken]);
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        let copy = self.buffer.clone();
        if self.keep {
            self.stored.push(copy);
        }
        self.buffer.clear();
        Ok(())
    }
}

/// Reads chunks back one at a time (each one a fresh copy, as a database row would be).
struct ChunkReading<'a> {
    stored: &'a [Vec<u8>],
    next: usize,
    chunk: Vec<u8>,
    at: usize,
}

impl Read for ChunkReading<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.at >= self.chunk.len() {
            let Some(chunk) = self.stored.get(self.next) else {
                return Ok(0);
            };
            self.chunk = chunk.clone();
            self.next += 1;
            self.at = 0;
        }
        let taken = (self.chunk.len() - self.at).min(out.len());
        out[..taken].copy_from_slice(&self.chunk[self.at..self.at + taken]);
        self.at += taken;
        Ok(taken)
    }
}

fn report(what: &str, bytes: usize, seconds: f64, extra: usize) {
    println!(
        "{what:<28} {:>9.1} MiB  {:>7.3} s  peak extra {:>8.1} MiB",
        bytes as f64 / MIB,
        seconds,
        extra as f64 / MIB
    );
}

fn main() {
    let cards = std::env::args()
        .nth(1)
        .and_then(|text| text.parse().ok())
        .unwrap_or(1_000_000u32);
    let before = now_bytes();
    let started = Instant::now();
    let risk = filled(cards);
    let sizes = risk.sizes();
    let evaluator_bytes = now_bytes() - before;
    println!(
        "{cards} cards: {} cards, {} terminals, {} counters held; evaluator {:.1} MiB, filled in {:.1} s",
        sizes.cards,
        sizes.terminals,
        sizes.gap_counters,
        evaluator_bytes as f64 / MIB,
        started.elapsed().as_secs_f64()
    );

    // Before: snapshot, then JSON text (the hub then handed the text to the database).
    let base = reset_peak();
    let started = Instant::now();
    let json = serde_json::to_string(&risk.snapshot()).expect("JSON");
    let seconds = started.elapsed().as_secs_f64();
    report(
        "save, JSON (snapshot+text)",
        json.len(),
        seconds,
        peak_bytes() - base,
    );
    let base = reset_peak();
    let started = Instant::now();
    let state: RiskState = serde_json::from_str(&json).expect("JSON");
    let restored = RiskEvaluator::restore(RiskConfig::default(), state).expect("a state");
    let seconds = started.elapsed().as_secs_f64();
    let kept = now_bytes() - base;
    report(
        "load, JSON",
        json.len(),
        seconds,
        peak_bytes() - base - kept,
    );
    assert!(restored.snapshot() == risk.snapshot());
    drop((restored, json));

    // After: the binary form, in 1 MiB chunks straight from the tables.
    let base = reset_peak();
    let started = Instant::now();
    let mut sink = Chunks {
        buffer: Vec::with_capacity(CHUNK_BYTES),
        stored: Vec::new(),
        keep: false,
    };
    let mut written = CountingWrite {
        inner: &mut sink,
        bytes: 0,
    };
    risk.write_state(&mut written).expect("written");
    let bytes = written.bytes;
    sink.flush().expect("flushed");
    let seconds = started.elapsed().as_secs_f64();
    report("save, binary (chunks)", bytes, seconds, peak_bytes() - base);
    drop(sink);
    let mut sink = Chunks {
        buffer: Vec::with_capacity(CHUNK_BYTES),
        stored: Vec::new(),
        keep: true,
    };
    risk.write_state(&mut sink).expect("written");
    sink.flush().expect("flushed");
    let stored = sink.stored;
    let base = reset_peak();
    let started = Instant::now();
    let mut reading = ChunkReading {
        stored: &stored,
        next: 0,
        chunk: Vec::new(),
        at: 0,
    };
    let restored = RiskEvaluator::read_state(RiskConfig::default(), &mut reading).expect("a state");
    let seconds = started.elapsed().as_secs_f64();
    drop(reading);
    let kept = now_bytes() - base;
    report(
        "load, binary (chunks)",
        bytes,
        seconds,
        peak_bytes() - base - kept,
    );
    assert!(restored.snapshot() == risk.snapshot());
}

/// Counts what passes through to `inner`.
struct CountingWrite<'a, W> {
    inner: &'a mut W,
    bytes: usize,
}

impl<W: Write> Write for CountingWrite<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.bytes += written;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
