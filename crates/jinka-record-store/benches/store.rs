//! Append + commit throughput of the record store on this machine's disk, with a commit (one
//! `write` + one `fdatasync`) every 1, 64 and 1024 records of real size (51-byte records,
//! distinct cards and counters, so none is deduplicated away).
//!
//! One iteration is one record: criterion's figure is the time per record, the commit's share
//! included (the last, partial group of a sample is committed inside the timing too). Each
//! sample starts a fresh store in `target/tmp`, on the same disk as the workspace; creating it
//! is not timed.
//!
//! For comparison, `disk/write-fdatasync-70B` is the bare disk: append one 70-byte frame's
//! worth of bytes to a plain file and `fdatasync` it, no store code at all; and
//! `store/append-only` is the in-memory part of `append` (the commits of that run are not
//! timed); `checksum/sm3-1024-records` is the frame checksum of one commit of 1024 records.
//!
//! Run with `cargo bench -p jinka-record-store --bench store`.

use std::fs::OpenOptions;
use std::hint::black_box;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use jinka_record::{Date, RecordFields, Time, TransactionKind, TransactionRecord};
use jinka_record_store::{COMMIT_RECORDS_MAX, RecordStore, StoreLimits};

const TERMINAL: [u8; 6] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66];

/// The `n`th of a stream of distinct sm4 purchases.
fn purchase(n: u64) -> TransactionRecord {
    let card = n >> 16;
    TransactionRecord::new(RecordFields {
        asn: card.to_be_bytes(),
        issuer_id: [0x31, 0x04, 0, 0, 0, 0, 0, 0x01],
        kind: TransactionKind::Purchase,
        amount_fen: 200,
        balance_before_fen: 1_000_000,
        atc: (n & 0xFFFF) as u16,
        terminal_id: TERMINAL,
        terminal_serial: Some(n as u32),
        date: Date::from_ymd(2026, 11, 27).expect("date"),
        time: Time::from_hms(8, 30, 0).expect("time"),
        key_version: 1,
        algorithm_id: 4,
        tac: (n as u32).to_be_bytes(),
    })
    .expect("a valid record")
}

fn fresh_store() -> (tempfile::TempDir, RecordStore) {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(root).expect("target/tmp");
    let directory = tempfile::tempdir_in(root).expect("a directory in target/tmp");
    let limits = StoreLimits {
        log_bytes_max: u64::MAX / 4,
    };
    let store =
        RecordStore::open_with_limits(directory.path(), TERMINAL, limits).expect("store opens");
    (directory, store)
}

/// Appends `iterations` records, committing every `commit_every`, and returns the time taken.
fn append_and_commit(iterations: u64, commit_every: usize) -> Duration {
    let records: Vec<_> = (0..iterations).map(purchase).collect();
    let (_directory, mut store) = fresh_store();
    let start = Instant::now();
    for record in records {
        store.append(record).expect("append");
        if store.uncommitted_count() == commit_every {
            store.commit().expect("commit");
        }
    }
    store.commit().expect("commit");
    let elapsed = start.elapsed();
    assert_eq!(store.next_record_id().0, iterations);
    elapsed
}

/// Appends `iterations` records and times only the appends.
fn append_only(iterations: u64) -> Duration {
    let records: Vec<_> = (0..iterations).map(purchase).collect();
    let (_directory, mut store) = fresh_store();
    let mut elapsed = Duration::ZERO;
    for group in records.chunks(COMMIT_RECORDS_MAX) {
        let start = Instant::now();
        for record in group {
            black_box(store.append(*record).expect("append"));
        }
        elapsed += start.elapsed();
        store.commit().expect("commit");
    }
    elapsed
}

fn bench_store(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("store");
    group.throughput(Throughput::Elements(1));
    group.sampling_mode(SamplingMode::Flat);
    for commit_every in [1, 64, 1024] {
        group.bench_function(format!("append-commit-every-{commit_every}"), |b| {
            b.iter_custom(|iterations| append_and_commit(iterations, commit_every));
        });
    }
    group.bench_function("append-only", |b| b.iter_custom(append_only));
    group.finish();
}

fn bench_disk(criterion: &mut Criterion) {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(root).expect("target/tmp");
    let mut group = criterion.benchmark_group("disk");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("write-fdatasync-70B", |b| {
        b.iter_custom(|iterations| {
            let directory = tempfile::tempdir_in(root).expect("directory");
            let mut file = OpenOptions::new()
                .create_new(true)
                .write(true)
                .open(directory.path().join("plain"))
                .expect("file");
            let frame = [0x5Au8; 70];
            let start = Instant::now();
            for _ in 0..iterations {
                file.write_all(&frame).expect("write");
                file.sync_data().expect("fdatasync");
            }
            start.elapsed()
        });
    });
    group.finish();
}

fn bench_checksum(criterion: &mut Criterion) {
    use sm3::{Digest, Sm3};
    let payload = vec![0xA5u8; 3 + 1024 * jinka_record::RECORD_BYTES];
    criterion.bench_function("checksum/sm3-1024-records", |b| {
        b.iter(|| Sm3::digest(black_box(&payload)));
    });
}

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench_store(&mut criterion);
    bench_disk(&mut criterion);
    bench_checksum(&mut criterion);
    criterion.final_summary();
}
