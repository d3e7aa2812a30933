//! Ingest on SQLite and, with `JINKA_BENCH_POSTGRES` set to the URL of an administrative
//! PostgreSQL database (e.g. `postgres://postgres@127.0.0.1:5432/postgres`), on PostgreSQL too,
//! in the same run (each on fresh databases `jinka_bench_<hex>`, dropped at the end), end to
//! end: batches of 10,000 `sm4` purchases from 1,000 cards (10 each, interleaved over 50
//! terminals) uploaded to a hub on 127.0.0.1:0 through the bulk path: body parsed, every TAC
//! verified, deduplicated against the stored records, cleared (one ledger transaction each,
//! fees included), every decision and the answer stored, and the batch committed durably
//! (SQLite: WAL, `synchronous = FULL`; PostgreSQL: the server's commit). Each timed upload is
//! a new batch whose records continue the cards' counters and balance chains, so the store
//! grows as a working hub's does.
//!
//! Against it, the raw limit of the same engine: a bare insert of the same records (their
//! columns and 51-byte binary form) into a table with the hub's unique indexes (a load's ASN
//! and ATC, a purchase's terminal, serial and ASN), one transaction of 10,000 rows per commit: on SQLite a prepared insert per row with the hub's
//! pragmas (WAL, `synchronous = FULL`, its cache size and checkpoint interval); on PostgreSQL
//! a binary `COPY` (the fastest way in), and for comparison a prepared insert per row.
//!
//! Per-record time = reported time / 10,000 (criterion prints throughput in elements).

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jinka_card::{IssuerKeys, SeededEntropy};
use jinka_crypto::Profile;
use jinka_hub::HubConfig;
use tokio::runtime::Runtime;

mod support;

use support::*;

/// Where the hub under test keeps its data: its SQLite file, or a PostgreSQL database.
fn hub_ingest(
    c: &mut Criterion,
    runtime: &Runtime,
    group_name: &str,
    database_url: Option<String>,
) {
    let directory = tempfile::tempdir().unwrap();
    let mut config = HubConfig::new(directory.path().join("hub"), "127.0.0.1:0".parse().unwrap());
    config.database_url = database_url;
    let keys = IssuerKeys::generate(Profile::Sm4, 1, ISSUER_ID, &mut SeededEntropy::new(5));
    let api_key = network(&config, &keys);
    let (mut client, _stop) = runtime.block_on(async {
        let hub = jinka_hub::bind(config).await.unwrap();
        let address = hub.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(hub.run(async move {
            let _ = stopped.await;
        }));
        (Client::connect(address, api_key).await, stop)
    });
    let mut purchases = Purchases::new(&keys);
    let mut batches = 0u32;
    let records = u64::from(CARDS) * u64::from(PURCHASES_PER_CARD);
    let mut group = c.benchmark_group(group_name);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(records));
    group.bench_function("10k_sm4_purchases_1k_cards/hub_bulk_upload", |b| {
        b.iter_custom(|iterations| {
            let mut timed = Duration::ZERO;
            for _ in 0..iterations {
                batches += 1;
                let body = bulk_body(&format!("B-{batches}"), &purchases.batch());
                let start = Instant::now();
                let accepted = runtime.block_on(client.upload(body));
                timed += start.elapsed();
                assert_eq!(accepted, records);
            }
            timed
        })
    });
    group.finish();
    println!("hub ({group_name}): {batches} batches of {records} records ingested");
}

/// The bare insert: same engine, same pragmas, the records' rows in arrival order (migration
/// 012), a load unique by its dedupe key and a purchase by its identity, as the hub keeps
/// accepted records (migration 016).
fn bare_insert(c: &mut Criterion) {
    let directory = tempfile::tempdir().unwrap();
    let mut connection = rusqlite::Connection::open(directory.path().join("bare.sqlite3")).unwrap();
    let _: String = connection
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .unwrap();
    connection
        .pragma_update(None, "synchronous", "FULL")
        .unwrap();
    connection
        .pragma_update(None, "cache_size", -jinka_hub::CACHE_KIB)
        .unwrap();
    connection
        .pragma_update(None, "wal_autocheckpoint", jinka_hub::WAL_CHECKPOINT_PAGES)
        .unwrap();
    connection
        .execute_batch(
            "CREATE TABLE records (
                id INTEGER PRIMARY KEY,
                asn BLOB NOT NULL, counter_kind INTEGER NOT NULL, atc INTEGER NOT NULL,
                terminal_id BLOB NOT NULL, terminal_serial INTEGER, record BLOB NOT NULL
            ) STRICT;
            CREATE UNIQUE INDEX records_loads ON records (asn, atc) WHERE counter_kind = 1;
            CREATE UNIQUE INDEX records_purchases ON records (terminal_id, terminal_serial, asn)
                WHERE counter_kind = 0;",
        )
        .unwrap();
    let keys = IssuerKeys::generate(Profile::Sm4, 1, ISSUER_ID, &mut SeededEntropy::new(5));
    let mut purchases = Purchases::new(&keys);
    let records = u64::from(CARDS) * u64::from(PURCHASES_PER_CARD);
    let mut group = c.benchmark_group("ingest_sqlite");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(records));
    group.bench_function("10k_rows/bare_insert", |b| {
        b.iter_custom(|iterations| {
            let mut timed = Duration::ZERO;
            for _ in 0..iterations {
                let batch = purchases.batch();
                let start = Instant::now();
                let transaction = connection.transaction().unwrap();
                {
                    let mut insert = transaction
                        .prepare_cached(
                            "INSERT INTO records (asn, counter_kind, atc, terminal_id,
                                terminal_serial, record) VALUES (?1, 0, ?2, ?3, ?4, ?5)",
                        )
                        .unwrap();
                    for record in &batch {
                        insert
                            .execute(rusqlite::params![
                                record.asn().as_slice(),
                                record.atc(),
                                record.terminal_id().as_slice(),
                                record.terminal_serial(),
                                record.encode().as_slice(),
                            ])
                            .unwrap();
                    }
                }
                transaction.commit().unwrap();
                timed += start.elapsed();
            }
            timed
        })
    });
    group.finish();
}

/// A fresh PostgreSQL database beside the administrative one at `admin_url`, dropped (with
/// its connections) when this is.
struct BenchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl BenchDatabase {
    fn create(admin_url: &str) -> BenchDatabase {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).unwrap();
        let name = format!("jinka_bench_{}", hex::encode(random));
        postgres::Client::connect(admin_url, postgres::NoTls)
            .unwrap()
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let (base, _) = admin_url.rsplit_once('/').unwrap();
        BenchDatabase {
            admin_url: admin_url.to_owned(),
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for BenchDatabase {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// The bare insert on PostgreSQL: the same rows under the same unique indexes, 10,000 a
/// transaction, by binary `COPY` and by a prepared insert per row.
fn bare_insert_postgres(c: &mut Criterion, url: &str) {
    use postgres::binary_copy::BinaryCopyInWriter;
    use postgres::types::Type;

    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client
        .batch_execute(
            "CREATE TABLE records (
                asn bytea NOT NULL, counter_kind bigint NOT NULL, atc bigint NOT NULL,
                terminal_id bytea NOT NULL, terminal_serial bigint, record bytea NOT NULL
            );
            CREATE UNIQUE INDEX records_loads ON records (asn, atc) WHERE counter_kind = 1;
            CREATE UNIQUE INDEX records_purchases ON records (terminal_id, terminal_serial, asn)
                WHERE counter_kind = 0;",
        )
        .unwrap();
    let keys = IssuerKeys::generate(Profile::Sm4, 1, ISSUER_ID, &mut SeededEntropy::new(5));
    let mut purchases = Purchases::new(&keys);
    let records = u64::from(CARDS) * u64::from(PURCHASES_PER_CARD);
    let mut group = c.benchmark_group("ingest_postgres");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(records));
    group.bench_function("10k_rows/bare_copy", |b| {
        b.iter_custom(|iterations| {
            let mut timed = Duration::ZERO;
            for _ in 0..iterations {
                let batch = purchases.batch();
                let start = Instant::now();
                let mut transaction = client.transaction().unwrap();
                let copy = transaction
                    .copy_in(
                        "COPY records (asn, counter_kind, atc, terminal_id, terminal_serial, \
                         record) FROM STDIN (FORMAT binary)",
                    )
                    .unwrap();
                let types = [
                    Type::BYTEA,
                    Type::INT8,
                    Type::INT8,
                    Type::BYTEA,
                    Type::INT8,
                    Type::BYTEA,
                ];
                let mut writer = BinaryCopyInWriter::new(copy, &types);
                for record in &batch {
                    writer
                        .write(&[
                            &record.asn().as_slice(),
                            &0i64,
                            &i64::from(record.atc()),
                            &record.terminal_id().as_slice(),
                            &record.terminal_serial().map(i64::from),
                            &record.encode().as_slice(),
                        ])
                        .unwrap();
                }
                writer.finish().unwrap();
                transaction.commit().unwrap();
                timed += start.elapsed();
            }
            timed
        })
    });
    let insert = client
        .prepare("INSERT INTO records VALUES ($1, 0, $2, $3, $4, $5)")
        .unwrap();
    group.bench_function("10k_rows/bare_insert", |b| {
        b.iter_custom(|iterations| {
            let mut timed = Duration::ZERO;
            for _ in 0..iterations {
                let batch = purchases.batch();
                let start = Instant::now();
                let mut transaction = client.transaction().unwrap();
                for record in &batch {
                    transaction
                        .execute(
                            &insert,
                            &[
                                &record.asn().as_slice(),
                                &i64::from(record.atc()),
                                &record.terminal_id().as_slice(),
                                &record.terminal_serial().map(i64::from),
                                &record.encode().as_slice(),
                            ],
                        )
                        .unwrap();
                }
                transaction.commit().unwrap();
                timed += start.elapsed();
            }
            timed
        })
    });
    group.finish();
}

fn ingest(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    hub_ingest(c, &runtime, "ingest_sqlite", None);
    bare_insert(c);
    match std::env::var("JINKA_BENCH_POSTGRES") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let bare = BenchDatabase::create(&admin_url);
            bare_insert_postgres(c, &bare.url);
            drop(bare);
            let hub = BenchDatabase::create(&admin_url);
            hub_ingest(c, &runtime, "ingest_postgres", Some(hub.url.clone()));
        }
        _ => println!("PostgreSQL not measured: set JINKA_BENCH_POSTGRES to an admin URL"),
    }
}

criterion_group!(benches, ingest);
criterion_main!(benches);
