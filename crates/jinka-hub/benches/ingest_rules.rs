//! Ingest with the risk rules on against the rules off, on SQLite, in the same run: two hubs
//! on 127.0.0.1:0 over fresh data directories, one with every rule disabled by its stored
//! configuration (`enabled: false` for the five rules), one with the default configuration
//! (every rule on), each fed the same workload as `benches/ingest.rs`: batches of 10,000
//! `sm4` purchases from 1,000 cards (10 each, over 50 terminals of one region) through the
//! bulk path, each batch durably committed with its rules' decisions. With the defaults the
//! daily spend rule fires once per card when its day's purchases pass 1,000 yuan (about the
//! fifth batch): those decisions are stored in their batch's transaction, part of the cost.
//!
//! Per-record time = reported time / 10,000.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jinka_card::{IssuerKeys, SeededEntropy};
use jinka_crypto::Profile;
use jinka_hub::{Admin, HubConfig};
use tokio::runtime::Runtime;

mod support;

use support::*;

/// Every rule off.
const RULES_OFF: &str = r#"{
    "daily_spend": {"enabled": false}, "velocity": {"enabled": false},
    "balance_discontinuity": {"enabled": false}, "counter_gap": {"enabled": false},
    "bad_tac": {"enabled": false}
}"#;

fn hub_ingest(c: &mut Criterion, runtime: &Runtime, name: &str, config_json: Option<&str>) {
    let directory = tempfile::tempdir().unwrap();
    let config = HubConfig::new(directory.path().join("hub"), "127.0.0.1:0".parse().unwrap());
    let keys = IssuerKeys::generate(Profile::Sm4, 1, ISSUER_ID, &mut SeededEntropy::new(5));
    let api_key = network(&config, &keys);
    if let Some(json) = config_json {
        Admin::open(&config).unwrap().set_risk_config(json).unwrap();
    }
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
    let mut group = c.benchmark_group("ingest_rules_sqlite");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(records));
    group.bench_function(name, |b| {
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
    let admin = Admin::open(&HubConfig::new(
        directory.path().join("hub"),
        "127.0.0.1:0".parse().unwrap(),
    ))
    .unwrap();
    let decisions = admin.risk_decisions(None, None, 100_000).unwrap().len();
    println!("{name}: {batches} batches of {records} records ingested, {decisions} risk decisions");
}

fn ingest_rules(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    hub_ingest(c, &runtime, "rules_off", Some(RULES_OFF));
    hub_ingest(c, &runtime, "rules_on", None);
}

criterion_group!(benches, ingest_rules);
criterion_main!(benches);
