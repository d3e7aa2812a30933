//! Heap bytes per issued e-purse card, as `jinka sim` holds them: 100,000 cards in a `Vec`,
//! measured after issuance, after a load and a purchase on each, with the log full, out of
//! the reader's field (`Card::power_off`), and packed (`PackedCard`).
//!
//! A counting global allocator keeps the live heap bytes and, per allocation size, the number
//! of live blocks, so the report shows where the bytes go (a `Vec<Write>` of 8, a record slot,
//! the label `String`, ...). Sizes are requested sizes: the allocator's own overhead (about
//! 8 to 16 bytes a block with glibc malloc) comes on top, so the block count matters too.
//!
//! Run with `cargo run --release -p jinka-card --example card_memory [-- CARDS [des3|sm4]]`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, Ordering};

use jinka_apdu::{ResponseApdu, StatusWord};
use jinka_card::{
    Card, E_PURSE_AID, Issuance, IssuerKeys, LOG_RECORDS_MAX, PackedCard, SeededEntropy, Template,
    issue,
};
use jinka_crypto::{Profile, diversify, session_key};

/// Allocation sizes tracked one by one; larger ones share the last bucket.
const SIZE_BUCKETS: usize = 4097;

/// Counts live bytes and live blocks per requested size.
struct CountingAllocator;

static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);
static LIVE_BLOCKS: AtomicI64 = AtomicI64::new(0);
static LIVE_BY_SIZE: [AtomicI64; SIZE_BUCKETS] = [const { AtomicI64::new(0) }; SIZE_BUCKETS];

fn added(size: usize) {
    LIVE_BYTES.fetch_add(size as i64, Ordering::Relaxed);
    LIVE_BLOCKS.fetch_add(1, Ordering::Relaxed);
    LIVE_BY_SIZE[size.min(SIZE_BUCKETS - 1)].fetch_add(1, Ordering::Relaxed);
}

fn removed(size: usize) {
    LIVE_BYTES.fetch_sub(size as i64, Ordering::Relaxed);
    LIVE_BLOCKS.fetch_sub(1, Ordering::Relaxed);
    LIVE_BY_SIZE[size.min(SIZE_BUCKETS - 1)].fetch_sub(1, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`; the counters have no effect on memory.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `layout` is `System`'s.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            added(layout.size());
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if !pointer.is_null() {
            added(layout.size());
        }
        pointer
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was allocated by `System` through this allocator with `layout`.
        let pointer = unsafe { System.realloc(ptr, layout, new_size) };
        if !pointer.is_null() {
            removed(layout.size());
            added(new_size);
        }
        pointer
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        removed(layout.size());
        // SAFETY: `ptr` was allocated by `System` through this allocator with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Cards measured unless the command line says otherwise.
const CARDS_DEFAULT: u32 = 100_000;
/// Size classes listed in each report.
const SIZES_SHOWN: usize = 16;
const TERMINAL: [u8; 6] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66];
const DATE: [u8; 4] = [0x20, 0x26, 0x11, 0x27];
const TIME: [u8; 3] = [0x08, 0x30, 0x00];
const LOAD_FEN: u32 = 10_000;
const PURCHASE_FEN: u32 = 250;

/// What the counters say at one moment.
struct Snapshot {
    bytes: i64,
    blocks: i64,
    by_size: Vec<i64>,
}

fn snapshot() -> Snapshot {
    Snapshot {
        bytes: LIVE_BYTES.load(Ordering::Relaxed),
        blocks: LIVE_BLOCKS.load(Ordering::Relaxed),
        by_size: LIVE_BY_SIZE
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .collect(),
    }
}

/// Prints bytes and blocks per card between `before` and now, and the size classes that hold
/// the most bytes.
fn report(title: &str, before: &Snapshot, cards: u32) {
    let now = snapshot();
    let cards_f = f64::from(cards);
    println!("{title}");
    println!(
        "  live heap: {:.1} bytes and {:.2} blocks per card (the Vec of cards included)",
        (now.bytes - before.bytes) as f64 / cards_f,
        (now.blocks - before.blocks) as f64 / cards_f
    );
    let mut sizes: Vec<(usize, i64)> = now
        .by_size
        .iter()
        .zip(&before.by_size)
        .enumerate()
        .map(|(size, (now, before))| (size, now - before))
        .filter(|(_, blocks)| *blocks > 0)
        .collect();
    sizes.sort_by_key(|(size, blocks)| std::cmp::Reverse(*size as i64 * blocks));
    for (size, blocks) in sizes.into_iter().take(SIZES_SHOWN) {
        println!(
            "    {size:>6} B x {:>6.2} per card = {:>8.1} B",
            blocks as f64 / cards_f,
            (size as i64 * blocks) as f64 / cards_f
        );
    }
}

fn status(response: &[u8]) -> StatusWord {
    ResponseApdu::parse(response)
        .map(|answer| answer.status)
        .unwrap_or(StatusWord::MEMORY_FAILURE)
}

/// Sends one APDU, checks `9000` and answers the response data.
fn send(card: &mut Card<SeededEntropy>, apdu: &[u8], response: &mut Vec<u8>) -> Vec<u8> {
    response.clear();
    card.transmit(apdu, response).expect("no tear is armed");
    assert_eq!(
        status(response),
        StatusWord::OK,
        "the card refused {apdu:02X?}"
    );
    response[..response.len() - 2].to_vec()
}

fn initialize(p1: u8, amount_fen: u32, le: u8) -> Vec<u8> {
    let mut apdu = vec![0x80, 0x50, p1, 0x02, 0x0B, 0x01];
    apdu.extend_from_slice(&amount_fen.to_be_bytes());
    apdu.extend_from_slice(&TERMINAL);
    apdu.push(le);
    apdu
}

/// Selects the e-purse and loads [`LOAD_FEN`], as the issuer would.
fn load(card: &mut Card<SeededEntropy>, keys: &IssuerKeys, asn: &[u8; 8], response: &mut Vec<u8>) {
    let mut select = vec![0x00, 0xA4, 0x04, 0x00, E_PURSE_AID.len() as u8];
    select.extend_from_slice(&E_PURSE_AID);
    select.push(0x00);
    send(card, &select, response);

    let answer = send(card, &initialize(0x00, LOAD_FEN, 0x10), response);
    let load_key = diversify(keys.profile, &keys.load, asn);
    let [r0, r1, r2, r3] = [answer[8], answer[9], answer[10], answer[11]];
    let input = [r0, r1, r2, r3, answer[4], answer[5], 0x80, 0x00];
    let session = session_key(keys.profile, &load_key, &input);
    let mac2 = session.mac(&[&LOAD_FEN.to_be_bytes(), &[0x02], &TERMINAL, &DATE, &TIME]);
    let mut credit = vec![0x80, 0x52, 0x00, 0x00, 0x0B];
    credit.extend_from_slice(&DATE);
    credit.extend_from_slice(&TIME);
    credit.extend_from_slice(&mac2);
    credit.push(0x04);
    send(card, &credit, response);
}

/// Buys for [`PURCHASE_FEN`] from the selected e-purse, MAC1 computed as a SAM would.
fn purchase(
    card: &mut Card<SeededEntropy>,
    keys: &IssuerKeys,
    asn: &[u8; 8],
    response: &mut Vec<u8>,
) {
    let answer = send(card, &initialize(0x01, PURCHASE_FEN, 0x0F), response);
    let purchase_key = diversify(keys.profile, &keys.purchase, asn);
    let serial = [0, 0, 0, 1];
    let [r0, r1, r2, r3] = [answer[11], answer[12], answer[13], answer[14]];
    let input = [r0, r1, r2, r3, answer[4], answer[5], serial[2], serial[3]];
    let session = session_key(keys.profile, &purchase_key, &input);
    let mac1 = session.mac(&[
        &PURCHASE_FEN.to_be_bytes(),
        &[0x06],
        &TERMINAL,
        &DATE,
        &TIME,
    ]);
    let mut debit = vec![0x80, 0x54, 0x01, 0x00, 0x0F];
    debit.extend_from_slice(&serial);
    debit.extend_from_slice(&DATE);
    debit.extend_from_slice(&TIME);
    debit.extend_from_slice(&mac1);
    debit.push(0x08);
    send(card, &debit, response);
}

fn main() {
    let mut arguments = std::env::args().skip(1);
    let cards: u32 = arguments
        .next()
        .map(|text| text.parse().expect("CARDS is a number"))
        .unwrap_or(CARDS_DEFAULT);
    let profile = arguments
        .next()
        .map(|name| Profile::from_name(&name).expect("the profile is des3 or sm4"))
        .unwrap_or(Profile::Sm4);
    let keys = IssuerKeys::generate(
        profile,
        1,
        [0x31, 0x04, 0, 0, 0, 0, 0, 1],
        &mut SeededEntropy::new(1),
    );
    let asn_of = |number: u32| {
        let [a, b, c, d] = number.to_be_bytes();
        [0x31, 0x04, keys.issuer_id[7], 0, a, b, c, d]
    };
    println!(
        "{cards} e-purse cards, profile {}; size_of::<Card<SeededEntropy>>() = {} bytes",
        profile.name(),
        size_of::<Card<SeededEntropy>>()
    );

    let before = snapshot();
    let mut held = Vec::with_capacity(cards as usize);
    for number in 0..cards {
        let asn = asn_of(number);
        let issuance = Issuance {
            asn,
            start_date: [0x20, 0x26, 0x01, 0x01],
            expiry_date: [0x20, 0x36, 0x01, 0x01],
        };
        let nvm = issue(&keys, &issuance, &[(Template::EPurse, &keys)]).expect("issues");
        held.push(Card::new(nvm, SeededEntropy::new(u64::from(number))));
    }
    report("issued:", &before, cards);

    let mut response = Vec::with_capacity(256);
    for (number, card) in (0..cards).zip(held.iter_mut()) {
        let asn = asn_of(number);
        load(card, &keys, &asn, &mut response);
        purchase(card, &keys, &asn, &mut response);
    }
    report("after a load and a purchase on each:", &before, cards);

    // Nine more purchases fill the ten-record log, as on a card in daily use.
    for (number, card) in (0..cards).zip(held.iter_mut()) {
        let asn = asn_of(number);
        for _ in 0..usize::from(LOG_RECORDS_MAX) - 1 {
            purchase(card, &keys, &asn, &mut response);
        }
    }
    drop(response);
    report("after nine more purchases (the log full):", &before, cards);

    // Out of the reader's field, as the simulation leaves its cards between transactions.
    for card in &mut held {
        card.power_off();
    }
    report("out of the field (power_off):", &before, cards);

    // Packed, as the simulation keeps its idle cards (`PackedCard`).
    let packed: Vec<PackedCard<SeededEntropy>> = held.into_iter().map(PackedCard::pack).collect();
    println!(
        "  (size_of::<PackedCard<SeededEntropy>>() = {} bytes)",
        size_of::<PackedCard<SeededEntropy>>()
    );
    report("packed (PackedCard::pack):", &before, cards);
    drop(packed);
}
