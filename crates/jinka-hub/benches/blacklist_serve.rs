//! `GET /v1/blacklist` for a blacklist of 1,000,000 listed cards, served over HTTP by a hub on
//! 127.0.0.1:0 (SQLite): the full list (as a terminal at version 0, or further behind than
//! the change log reaches, gets it) in JSON and in the binary form, and a 100-version delta.
//! The million listings are written straight into `blacklist_changes` (one listing a
//! version) before the hub starts; the hub rebuilds its list from them at start (timed and
//! printed). Each timed request is one keep-alive HTTP/1.1 request, body read whole.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use jinka_hub::{Admin, HubConfig, NewParticipant, Region, Role, Roles};

const LISTED: u64 = 1_000_000;

struct Client {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    address: SocketAddr,
    key: String,
}

impl Client {
    async fn connect(address: SocketAddr, key: String) -> Client {
        let stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        Client {
            sender,
            address,
            key,
        }
    }

    /// GETs `path`: the body's length.
    async fn get(&mut self, path: &str, accept: &str) -> usize {
        if self.sender.ready().await.is_err() {
            *self = Client::connect(self.address, self.key.clone()).await;
        }
        let request = Request::builder()
            .method(Method::GET)
            .uri(path)
            .header("host", self.address.to_string())
            .header("authorization", format!("Bearer {}", self.key))
            .header("accept", accept)
            .body(Full::new(Bytes::new()))
            .unwrap();
        let response = self.sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), 200);
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .len()
    }
}

/// The data directory: an operator, an acquirer (its key returned) and a million listings.
fn prepare(config: &HubConfig) -> String {
    let admin = Admin::open(config).unwrap();
    let participant = |name: &str, role: Role| {
        let new = NewParticipant::new(name, Roles::new([role]).unwrap(), Region::new(310_000));
        admin.add_participant(new.unwrap()).unwrap().id
    };
    participant("Operator", Role::Operator);
    let acquirer = participant("Acquirer", Role::Acquirer);
    let key = admin.create_credential(acquirer, "bench").unwrap().api_key;
    drop(admin);
    let mut connection =
        rusqlite::Connection::open(config.data_dir.join(jinka_hub::DATABASE_FILE_NAME)).unwrap();
    let transaction = connection.transaction().unwrap();
    {
        let mut insert = transaction
            .prepare(
                "INSERT INTO blacklist_changes (version, asn, kind, reason, at_ms)
                 VALUES (?1, ?2, 'listed', 'lost', 0)",
            )
            .unwrap();
        for n in 1..=LISTED {
            // Spread over the ASN space, as cards listed in no order.
            let asn =
                (0x3104_0000_0000_0000u64 + (n * 2_654_435_761) % 100_000_000_000).to_be_bytes();
            insert
                .execute(rusqlite::params![i64::try_from(n).unwrap(), asn.as_slice()])
                .unwrap();
        }
    }
    transaction.commit().unwrap();
    key.expose().to_string()
}

fn blacklist(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let directory = tempfile::tempdir().unwrap();
    let config = HubConfig::new(directory.path().join("hub"), "127.0.0.1:0".parse().unwrap());
    let key = prepare(&config);
    let (mut client, _stop) = runtime.block_on(async {
        let start = Instant::now();
        let hub = jinka_hub::bind(config).await.unwrap();
        println!(
            "hub started with {LISTED} listed cards in {:?}",
            start.elapsed()
        );
        let address = hub.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(hub.run(async move {
            let _ = stopped.await;
        }));
        (Client::connect(address, key).await, stop)
    });
    let bytes = runtime.block_on(client.get("/v1/blacklist?since=0", "application/json"));
    println!("full list, JSON: {bytes} bytes");
    let bytes = runtime.block_on(client.get("/v1/blacklist", "application/octet-stream"));
    println!("full list, binary: {bytes} bytes");
    let mut group = c.benchmark_group("blacklist_1m");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(LISTED));
    for (name, path, accept) in [
        ("full_binary", "/v1/blacklist", "application/octet-stream"),
        ("full_json", "/v1/blacklist?since=0", "application/json"),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| runtime.block_on(client.get(path, accept)));
        });
    }
    group.throughput(Throughput::Elements(100));
    let since = format!("/v1/blacklist?since={}", LISTED - 100);
    group.bench_function("delta_100_json", |b| {
        b.iter(|| runtime.block_on(client.get(&since, "application/json")));
    });
    group.finish();
}

criterion_group!(benches, blacklist);
criterion_main!(benches);
