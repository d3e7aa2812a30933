//! The network blacklist at 1,000,000 listed cards (1,050,000 listings and 50,000 removals,
//! so the log holds both): producing and encoding what a terminal fetches.
//!
//! - `full_1m/binary`: the full list, produced and encoded (8 MB); `full_1m/produce_only` and
//!   `full_1m/encode_only`, its two halves;
//! - `delta_100k/binary`: a delta spanning the log's 100,000 versions (the farthest behind a
//!   delta reaches), produced and encoded;
//! - `delta_1k/binary`: a terminal 1,000 versions behind;
//! - `full_1m/json`: the full list in JSON (for comparison);
//! - `full_1m/decode`: the terminal's side, reading the binary full list back (checked).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jinka_clearing::Asn;
use jinka_risk::{BlacklistLimits, BlacklistUpdate, ListingReason, NetworkBlacklist};

const LISTINGS: u64 = 1_050_000;
const AT_MS: i64 = 1_795_000_000_000;

/// Card numbers spread over the ASN space as issuers number them (several issuers, gaps).
fn asn(n: u64) -> Asn {
    let issuer = n % 7;
    Asn::new((0x3104_0000_0000_0000 + (issuer << 40) + n * 13).to_be_bytes())
}

fn blacklist() -> NetworkBlacklist {
    let mut list = NetworkBlacklist::new(BlacklistLimits::default());
    for n in 0..LISTINGS {
        list.list(asn(n), ListingReason::Lost, AT_MS).expect("room");
        // Every 21st card is found again after a while and removed.
        if n % 21 == 20 {
            list.unlist(asn(n - 10), AT_MS);
        }
    }
    list
}

fn bench(c: &mut Criterion) {
    let list = blacklist();
    assert_eq!(list.len(), 1_000_000);
    let version = list.version();
    let far = list
        .delta_since(version - 100_000)
        .expect("a version of the list");
    let BlacklistUpdate::Delta { added, removed, .. } = &far else {
        unreachable!("the log reaches 100,000 versions back")
    };
    eprintln!(
        "version {version}; delta over 100,000 versions: {} added, {} removed, {} bytes; full \
         list: {} bytes",
        added.len(),
        removed.len(),
        far.encode().len(),
        list.full().encode().len()
    );
    let mut group = c.benchmark_group("blacklist");
    group.sample_size(20);
    group.bench_function("full_1m/binary", |b| {
        b.iter(|| black_box(&list).full().encode())
    });
    group.bench_function("full_1m/produce_only", |b| {
        b.iter(|| black_box(&list).full())
    });
    let full = list.full();
    group.bench_function("full_1m/encode_only", |b| {
        b.iter(|| black_box(&full).encode())
    });
    group.bench_function("delta_100k/binary", |b| {
        b.iter(|| {
            let update = black_box(&list)
                .delta_since(version - 100_000)
                .expect("a delta");
            update.encode()
        })
    });
    group.bench_function("delta_1k/binary", |b| {
        b.iter(|| {
            let update = black_box(&list)
                .delta_since(version - 1_000)
                .expect("a delta");
            update.encode()
        })
    });
    group.bench_function("full_1m/json", |b| {
        b.iter(|| serde_json::to_vec(&black_box(&list).full()).expect("JSON"))
    });
    let bytes = list.full().encode();
    group.bench_function("full_1m/decode", |b| {
        b.iter(|| BlacklistUpdate::decode(black_box(&bytes)).expect("a list"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
