//! Online load authorization over HTTP: a closed-loop load generator in the same process as
//! a hub on 127.0.0.1:0 (SQLite, `synchronous = FULL`), `CONNECTIONS` keep-alive HTTP/1.1
//! connections each sending its next `POST /v1/loads/authorize` as soon as the last is
//! answered. Every request is a distinct, genuine load (its own card and online ATC, MAC1
//! computed with the card's diversified load key and session key, as the card would), so
//! each is verified (MAC1, status, limits), recorded as a pending load in its own database
//! transaction, and answered with MAC2.
//!
//! Prints requests a second and the latency distribution (p50, p99, max) of the timed run,
//! after a warm-up. Run with `cargo bench -p jinka-hub --bench load_authorize`;
//! `JINKA_BENCH_LOADS` and `JINKA_BENCH_CONNECTIONS` change the sizes.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

mod support;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use jinka_card::{IssuerKeys, SeededEntropy};
use jinka_crypto::Profile;
use jinka_hub::wire::LoadAuthorizeBody;
use jinka_hub::{
    Admin, Asn, HubConfig, IssuerId, NewCard, NewParticipant, NewTerminal, Region, Role, Roles,
    TerminalId,
};
use support::{from_env, load_mac1};

const CARDS: u32 = 2_000;
const TERMINALS: u32 = 20;
const ISSUER_ID: [u8; 8] = [0x31, 0x04, 0, 0, 0, 0, 0, 9];
const LOADS_DEFAULT: usize = 60_000;
const WARM_UP_LOADS: usize = 5_000;
const CONNECTIONS_DEFAULT: usize = 32;
const AMOUNT_FEN: u32 = 50;

fn asn(card: u32) -> [u8; 8] {
    (0x3104_0000_0900_0000u64 + u64::from(card)).to_be_bytes()
}

fn terminal_id(index: u32) -> [u8; 6] {
    let [a, b, c, d] = index.to_be_bytes();
    [0, 0x90, a, b, c, d]
}

/// The load agent's API key, with the network registered in the data directory.
fn network(config: &HubConfig, keys: &IssuerKeys) -> String {
    let admin = Admin::open(config).unwrap();
    let participant = |name: &str, role: Role| {
        let new = NewParticipant::new(name, Roles::new([role]).unwrap(), Region::new(310_000));
        admin.add_participant(new.unwrap()).unwrap().id
    };
    participant("Operator", Role::Operator);
    let issuer = participant("Issuer", Role::Issuer);
    let agent = participant("Load agent", Role::LoadAgent);
    admin.upload_issuer_keys(issuer, keys).unwrap();
    for index in 0..TERMINALS {
        let terminal = NewTerminal {
            terminal_id: TerminalId::new(terminal_id(index)),
            owner: agent,
            region: Region::new(310_000),
        };
        admin.register_terminal(terminal).unwrap();
    }
    for card in 0..CARDS {
        let new = NewCard::new(
            Asn::new(asn(card)),
            issuer,
            IssuerId::new(ISSUER_ID),
            Profile::Sm4,
            Vec::new(),
        );
        admin.register_card(new.unwrap()).unwrap();
    }
    let key = admin.create_credential(agent, "bench").unwrap().api_key;
    key.expose().to_string()
}

/// The `number`-th load: card `number % CARDS` at online ATC `number / CARDS`, with the
/// card's MAC1 (JR/T 0025 INITIALIZE FOR LOAD: session key from the card random, the online
/// ATC and 8000; MAC1 over balance, amount, type 02 and terminal id).
fn load_body(keys: &IssuerKeys, number: usize) -> Vec<u8> {
    let card = u32::try_from(number % CARDS as usize).unwrap();
    let online_atc = u16::try_from(number / CARDS as usize).unwrap();
    let terminal = terminal_id(card % TERMINALS);
    let random = u32::try_from(number)
        .unwrap()
        .wrapping_mul(2_654_435_761)
        .to_be_bytes();
    let balance_fen = 0u32;
    let mac1 = load_mac1(
        keys,
        &asn(card),
        online_atc,
        random,
        balance_fen,
        AMOUNT_FEN,
        &terminal,
    );
    let body = LoadAuthorizeBody {
        request_id: format!("bench-{number}"),
        issuer_id: hex::encode_upper(ISSUER_ID),
        asn: hex::encode_upper(asn(card)),
        key_version: 1,
        algorithm_id: Profile::Sm4.algorithm_id(),
        balance_fen,
        online_atc,
        card_random: hex::encode_upper(random),
        mac1: hex::encode_upper(mac1),
        amount_fen: AMOUNT_FEN,
        terminal_id: hex::encode_upper(terminal),
        date: "20261127".to_owned(),
        time: "101500".to_owned(),
    };
    serde_json::to_vec(&body).unwrap()
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(address: SocketAddr) -> Sender {
    let stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    sender
}

/// Sends `bodies` over one connection, one after the other: each request's latency.
async fn drive(address: SocketAddr, key: String, bodies: Vec<Vec<u8>>) -> Vec<Duration> {
    let mut sender = connect(address).await;
    let mut latencies = Vec::with_capacity(bodies.len());
    for body in bodies {
        let start = Instant::now();
        sender.ready().await.unwrap();
        let request = Request::builder()
            .method(Method::POST)
            .uri("/v1/loads/authorize")
            .header("host", address.to_string())
            .header("authorization", format!("Bearer {key}"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        let status = response.status();
        let answer = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
        latencies.push(start.elapsed());
    }
    latencies
}

/// Runs `bodies` over `connections` connections: the wall time and every latency.
async fn run(
    address: SocketAddr,
    key: &str,
    bodies: Vec<Vec<u8>>,
    connections: usize,
) -> (Duration, Vec<Duration>) {
    let mut shares: Vec<Vec<Vec<u8>>> = (0..connections).map(|_| Vec::new()).collect();
    for (index, body) in bodies.into_iter().enumerate() {
        shares[index % connections].push(body);
    }
    let start = Instant::now();
    let tasks: Vec<_> = shares
        .into_iter()
        .map(|share| tokio::spawn(drive(address, key.to_owned(), share)))
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    (start.elapsed(), latencies)
}

fn percentile(sorted: &[Duration], per_mille: usize) -> Duration {
    sorted[(sorted.len() * per_mille / 1000).min(sorted.len() - 1)]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it as a smoke test.
    let smoke = !std::env::args().any(|argument| argument == "--bench");
    let loads = if smoke {
        200
    } else {
        from_env("JINKA_BENCH_LOADS", LOADS_DEFAULT)
    };
    let warm_up = if smoke { 50 } else { WARM_UP_LOADS };
    let connections = from_env("JINKA_BENCH_CONNECTIONS", CONNECTIONS_DEFAULT);
    let directory = tempfile::tempdir().unwrap();
    let config = HubConfig::new(directory.path().join("hub"), "127.0.0.1:0".parse().unwrap());
    let keys = IssuerKeys::generate(Profile::Sm4, 1, ISSUER_ID, &mut SeededEntropy::new(9));
    let api_key = network(&config, &keys);
    let bodies: Vec<Vec<u8>> = (0..warm_up + loads).map(|n| load_body(&keys, n)).collect();
    let (warm, timed) = bodies.split_at(warm_up);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let hub = jinka_hub::bind(config).await.unwrap();
        let address = hub.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(hub.run(async move {
            let _ = stopped.await;
        }));
        run(address, &api_key, warm.to_vec(), connections).await;
        let (wall, mut latencies) = run(address, &api_key, timed.to_vec(), connections).await;
        latencies.sort();
        let per_second = loads as f64 / wall.as_secs_f64();
        println!(
            "load_authorize sqlite: {loads} loads over {connections} connections in {:.2} s: \
             {per_second:.0} loads/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            wall.as_secs_f64(),
            percentile(&latencies, 500).as_secs_f64() * 1e3,
            percentile(&latencies, 990).as_secs_f64() * 1e3,
            latencies.last().unwrap().as_secs_f64() * 1e3,
        );
        let _ = stop.send(());
        server.await.unwrap().unwrap();
    });
}
