//! The card side of a purchase and of a load, both profiles, read against the raw block cipher.
//!
//! Only the card is timed: the terminal's APDUs (and their MAC1 / MAC2) are computed before the
//! timed loop. The card's random comes from [`FixedRandom`], so a MAC1 computed for a given ATC
//! and amount stays right, and each iteration puts the purse record back (one struct copy,
//! benchmarked alone as `card/purse_reset`) so the ATC and balance are the same every time.
//!
//! Before criterion runs, a counting global allocator reports how many allocations a warm card
//! makes per purchase and per load (consecutive transactions, the ATC advancing); the response
//! buffer is reused, as a reader would.
//!
//! Run with `cargo bench -p jinka-card --bench card`; figures go in `BENCHMARKS.md`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::Criterion;
use des::{Des, TdesEde2};
use jinka_card::{
    Card, E_PURSE_AID, Entropy, Issuance, IssuerKeys, LOG_RECORDS_MAX, Purse, SeededEntropy,
    Template, issue,
};
use jinka_crypto::{Key16, Profile, diversify, session_key};
use sm4::Sm4;
use sm4::cipher::{BlockCipherEncrypt, KeyInit};

/// Counts every allocation call (alloc, alloc_zeroed, realloc) of the bench binary.
struct CountingAllocator;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to `System`; the counter has no effect on memory.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `layout` is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` through this allocator with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` through this allocator with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const ASN: [u8; 8] = [0x31, 0x04, 0x00, 0x00, 0x00, 0x01, 0x23, 0x45];
const TERMINAL: [u8; 6] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66];
const SERIAL: [u8; 4] = [0x00, 0x00, 0x10, 0x01];
const DATE: [u8; 4] = [0x20, 0x26, 0x11, 0x27];
const TIME: [u8; 3] = [0x08, 0x30, 0x00];
/// What the card answers as its INITIALIZE random, every time.
const RANDOM: [u8; 4] = [0x12, 0x34, 0x56, 0x78];
const PURCHASE_FEN: u32 = 100;
const LOAD_FEN: u32 = 100;
/// The balance loaded before anything is measured: enough for every purchase below.
const OPENING_BALANCE_FEN: u32 = 1_000_000;
/// Transactions counted by the allocation report, after the warm-up.
const COUNTED_TRANSACTIONS: u16 = 1000;
/// Warm-up before counting: enough to fill the cyclic log, whose slots allocate on first fill.
const WARM_UP_TRANSACTIONS: u16 = 2 * LOG_RECORDS_MAX as u16;
const PROFILES: [Profile; 2] = [Profile::Sm4, Profile::Des3];
const TYPE_PURCHASE: u8 = 0x06;
const TYPE_LOAD: u8 = 0x02;

/// The card's entropy in this bench: always [`RANDOM`], so the terminal's MACs are computed
/// before the timed loop.
struct FixedRandom;

impl Entropy for FixedRandom {
    fn fill(&mut self, out: &mut [u8]) {
        for (byte, random) in out.iter_mut().zip(RANDOM.iter().cycle()) {
            *byte = *random;
        }
    }
}

/// The terminal / SAM side, computed outside any timed or counted section.
struct Terminal {
    profile: Profile,
    purchase_key: Key16,
    load_key: Key16,
}

impl Terminal {
    fn new(keys: &IssuerKeys) -> Terminal {
        Terminal {
            profile: keys.profile,
            purchase_key: diversify(keys.profile, &keys.purchase, &ASN),
            load_key: diversify(keys.profile, &keys.load, &ASN),
        }
    }

    /// `80 50 P1 02 0B key-index amount terminal-id Le`.
    fn initialize(p1: u8, amount_fen: u32, le: u8) -> Vec<u8> {
        let mut apdu = vec![0x80, 0x50, p1, 0x02, 0x0B, 0x01];
        apdu.extend_from_slice(&amount_fen.to_be_bytes());
        apdu.extend_from_slice(&TERMINAL);
        apdu.push(le);
        apdu
    }

    /// DEBIT FOR PURCHASE with the MAC1 the card expects at offline ATC `atc`.
    fn debit(&self, atc: u16, amount_fen: u32) -> Vec<u8> {
        let [c0, c1] = atc.to_be_bytes();
        let [r0, r1, r2, r3] = RANDOM;
        let input = [r0, r1, r2, r3, c0, c1, SERIAL[2], SERIAL[3]];
        let session = session_key(self.profile, &self.purchase_key, &input);
        let mac1 = session.mac(&[
            &amount_fen.to_be_bytes(),
            &[TYPE_PURCHASE],
            &TERMINAL,
            &DATE,
            &TIME,
        ]);
        let mut apdu = vec![0x80, 0x54, 0x01, 0x00, 0x0F];
        apdu.extend_from_slice(&SERIAL);
        apdu.extend_from_slice(&DATE);
        apdu.extend_from_slice(&TIME);
        apdu.extend_from_slice(&mac1);
        apdu.push(0x08);
        apdu
    }

    /// CREDIT FOR LOAD with the MAC2 the issuer gives at online ATC `atc`.
    fn credit(&self, atc: u16, amount_fen: u32) -> Vec<u8> {
        let [c0, c1] = atc.to_be_bytes();
        let [r0, r1, r2, r3] = RANDOM;
        let session = session_key(
            self.profile,
            &self.load_key,
            &[r0, r1, r2, r3, c0, c1, 0x80, 0x00],
        );
        let mac2 = session.mac(&[
            &amount_fen.to_be_bytes(),
            &[TYPE_LOAD],
            &TERMINAL,
            &DATE,
            &TIME,
        ]);
        let mut apdu = vec![0x80, 0x52, 0x00, 0x00, 0x0B];
        apdu.extend_from_slice(&DATE);
        apdu.extend_from_slice(&TIME);
        apdu.extend_from_slice(&mac2);
        apdu.push(0x04);
        apdu
    }
}

/// An issued card with the e-purse selected, and what the terminal needs to talk to it.
struct Bench {
    card: Card<FixedRandom>,
    terminal: Terminal,
    /// Index of the e-purse application in the card state.
    app: usize,
    response: Vec<u8>,
}

impl Bench {
    /// A fresh card, e-purse selected, balance 0: no transaction yet.
    fn issued(profile: Profile) -> Bench {
        let keys = IssuerKeys::generate(
            profile,
            1,
            [0x31, 0x04, 0, 0, 0, 0, 0, 1],
            &mut SeededEntropy::new(1),
        );
        let issuance = Issuance {
            asn: ASN,
            start_date: [0x20, 0x26, 0x01, 0x01],
            expiry_date: [0x20, 0x36, 0x12, 0x31],
        };
        let nvm = issue(&keys, &issuance, &[(Template::EPurse, &keys)]).expect("issues");
        let mut bench = Bench {
            card: Card::new(nvm, FixedRandom),
            terminal: Terminal::new(&keys),
            app: 0,
            response: Vec::with_capacity(256),
        };
        let mut select = vec![0x00, 0xA4, 0x04, 0x00, E_PURSE_AID.len() as u8];
        select.extend_from_slice(&E_PURSE_AID);
        select.push(0x00);
        bench.send(&select);
        bench.app = bench
            .card
            .nvm()
            .state
            .applications
            .iter()
            .position(|app| app.aid.as_bytes() == E_PURSE_AID)
            .expect("the e-purse is issued");
        bench
    }

    /// A card with [`OPENING_BALANCE_FEN`] loaded.
    fn loaded(profile: Profile) -> Bench {
        let mut bench = Bench::issued(profile);
        bench.load(OPENING_BALANCE_FEN);
        bench
    }

    /// Sends one APDU and checks it answered `9000`.
    fn send(&mut self, apdu: &[u8]) {
        self.response.clear();
        self.card
            .transmit(apdu, &mut self.response)
            .expect("no tear armed");
        assert_ok(&self.response);
    }

    fn purse(&self) -> Purse {
        self.card.nvm().state.applications[self.app]
            .purse
            .expect("the e-purse has a purse")
    }

    /// Loads `amount_fen`; answers how many allocations the card made doing it (the APDUs
    /// are built before counting).
    fn load(&mut self, amount_fen: u32) -> u64 {
        let initialize = Terminal::initialize(0x00, amount_fen, 0x10);
        let credit = self.terminal.credit(self.purse().online_atc, amount_fen);
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        self.send(&initialize);
        self.send(&credit);
        ALLOCATIONS.load(Ordering::Relaxed) - before
    }
}

fn assert_ok(response: &[u8]) {
    assert!(
        response.ends_with(&[0x90, 0x00]),
        "the card refused: {response:02X?}"
    );
}

/// Runs consecutive transactions (`apdus`, built beforehand): [`WARM_UP_TRANSACTIONS`] to warm
/// the card, then the rest counted. Answers `(allocations, transactions, per transaction)`.
fn allocations_per_transaction(bench: &mut Bench, apdus: &[(Vec<u8>, Vec<u8>)]) -> (u64, u64, f64) {
    let (warm_up, counted) = apdus.split_at(usize::from(WARM_UP_TRANSACTIONS));
    let before_warm_up = ALLOCATIONS.load(Ordering::Relaxed);
    for (initialize, finish) in warm_up {
        bench.send(initialize);
        bench.send(finish);
    }
    let warm_up_total = ALLOCATIONS.load(Ordering::Relaxed) - before_warm_up;
    eprintln!(
        "    warm-up ({} transactions, the cyclic log filling): {warm_up_total} allocations",
        warm_up.len()
    );
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for (initialize, finish) in counted {
        bench.send(initialize);
        bench.send(finish);
    }
    let total = ALLOCATIONS.load(Ordering::Relaxed) - before;
    let count = counted.len() as u64;
    (total, count, total as f64 / count as f64)
}

/// Prints the allocations per warm purchase and per warm load, for each profile.
fn report_allocations() {
    let transactions = WARM_UP_TRANSACTIONS + COUNTED_TRANSACTIONS;
    for profile in PROFILES {
        let mut bench = Bench::issued(profile);
        let first = bench.load(OPENING_BALANCE_FEN);
        eprintln!(
            "allocations, {} first transaction on a fresh card (a load): {first}",
            profile.name()
        );
        let atc = bench.purse().offline_atc;
        let purchases: Vec<_> = (0..transactions)
            .map(|i| {
                (
                    Terminal::initialize(0x01, PURCHASE_FEN, 0x0F),
                    bench.terminal.debit(atc + i, PURCHASE_FEN),
                )
            })
            .collect();
        eprintln!(
            "allocations, {} purchase (INITIALIZE + DEBIT):",
            profile.name()
        );
        let (total, count, each) = allocations_per_transaction(&mut bench, &purchases);
        eprintln!("    after warm-up: {total} over {count} purchases = {each} per purchase");

        let atc = bench.purse().online_atc;
        let loads: Vec<_> = (0..transactions)
            .map(|i| {
                (
                    Terminal::initialize(0x00, LOAD_FEN, 0x10),
                    bench.terminal.credit(atc + i, LOAD_FEN),
                )
            })
            .collect();
        eprintln!(
            "allocations, {} load (INITIALIZE + CREDIT):",
            profile.name()
        );
        let (total, count, each) = allocations_per_transaction(&mut bench, &loads);
        eprintln!("    after warm-up: {total} over {count} loads = {each} per load");
    }
}

/// Times the two APDUs of one transaction; the purse is put back first so the ATC, balance and
/// therefore the precomputed MAC stay valid.
fn bench_transaction(criterion: &mut Criterion, name: &str, bench: &mut Bench, apdus: [&[u8]; 2]) {
    let purse = bench.purse();
    let app = bench.app;
    let Bench { card, response, .. } = bench;
    criterion.bench_function(name, |b| {
        b.iter(|| {
            card.nvm_mut().state.applications[app].purse = Some(purse);
            for apdu in apdus {
                response.clear();
                card.transmit(black_box(apdu), response)
                    .expect("no tear armed");
            }
            black_box(&*response);
        });
    });
    // Every iteration is the same transaction: the last answer stands for all.
    assert_ok(response);
}

fn bench_card(criterion: &mut Criterion) {
    for profile in PROFILES {
        let mut bench = Bench::loaded(profile);
        let initialize = Terminal::initialize(0x01, PURCHASE_FEN, 0x0F);
        let debit = bench
            .terminal
            .debit(bench.purse().offline_atc, PURCHASE_FEN);
        let name = format!("card/{}/purchase", profile.name());
        bench_transaction(criterion, &name, &mut bench, [&initialize, &debit]);

        let initialize = Terminal::initialize(0x00, LOAD_FEN, 0x10);
        let credit = bench.terminal.credit(bench.purse().online_atc, LOAD_FEN);
        let name = format!("card/{}/load", profile.name());
        bench_transaction(criterion, &name, &mut bench, [&initialize, &credit]);
    }

    let mut bench = Bench::loaded(Profile::Sm4);
    let purse = bench.purse();
    let app = bench.app;
    criterion.bench_function("card/purse_reset", |b| {
        b.iter(|| {
            bench.card.nvm_mut().state.applications[app].purse = Some(black_box(purse));
        });
    });
}

/// The ciphers alone: one block (in place, so each depends on the last, as in CBC-MAC) and one
/// key schedule. A purchase or load makes a few of each.
fn bench_ciphers(criterion: &mut Criterion) {
    let key16 = [0x5Au8; 16];
    let key8 = [0x5Au8; 8];

    let sm4 = Sm4::new((&key16).into());
    let mut block16 = [0u8; 16];
    criterion.bench_function("cipher/sm4/block", |b| {
        b.iter(|| sm4.encrypt_block(black_box(&mut block16).into()));
    });
    let des = Des::new((&key8).into());
    let mut block8 = [0u8; 8];
    criterion.bench_function("cipher/des/block", |b| {
        b.iter(|| des.encrypt_block(black_box(&mut block8).into()));
    });
    let tdes = TdesEde2::new((&key16).into());
    criterion.bench_function("cipher/tdes-ede2/block", |b| {
        b.iter(|| tdes.encrypt_block(black_box(&mut block8).into()));
    });

    criterion.bench_function("cipher/sm4/key-schedule", |b| {
        b.iter(|| Sm4::new(black_box(&key16).into()));
    });
    criterion.bench_function("cipher/des/key-schedule", |b| {
        b.iter(|| Des::new(black_box(&key8).into()));
    });
    criterion.bench_function("cipher/tdes-ede2/key-schedule", |b| {
        b.iter(|| TdesEde2::new(black_box(&key16).into()));
    });
}

fn main() {
    report_allocations();
    // Modest sampling so the whole run stays within a couple of minutes on a shared machine.
    let mut criterion = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench_card(&mut criterion);
    bench_ciphers(&mut criterion);
    criterion.final_summary();
}
