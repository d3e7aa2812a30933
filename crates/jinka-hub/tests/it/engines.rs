//! The engine under the suite, and hubs side by side over one PostgreSQL database (stateless
//! hub processes): two hubs never both accept a record.

use serde_json::Value;

use crate::engine::{engine_name, postgres_admin_url};
use crate::network::{
    ISSUER_INTERCHANGE_BP, METRO_TERMINAL, Network, asn, bulk_body, decisions, funded_card,
    purchases, terminal,
};
use crate::test_hub::TestHub;

#[tokio::test]
async fn the_suite_says_which_engine_it_runs_on() {
    eprintln!(
        "jinka-hub tests run on {} (JINKA_TEST_POSTGRES {})",
        engine_name(),
        if postgres_admin_url().is_some() {
            "set: a fresh PostgreSQL database per hub"
        } else {
            "unset: the embedded SQLite database of each data directory"
        }
    );
    let hub = TestHub::start().await;
    assert_eq!(
        hub.config.database_url.is_some(),
        postgres_admin_url().is_some()
    );
    // The engine the hub opened holds what the admin commands registered, and every
    // migration of its folder.
    let db = hub.database();
    assert_eq!(db.count("participants"), 1);
    let folder = match hub.config.database_url {
        Some(_) => "postgres",
        None => "sqlite",
    };
    let files = std::fs::read_dir(format!(
        "{}/migrations/{folder}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .count();
    assert_eq!(db.count("schema_migrations"), files as i64);
}

/// A batch's decisions, as (decision, reason) per record.
fn outcomes(answer: &Value) -> Vec<(String, String)> {
    decisions(answer)
        .into_iter()
        .map(|(decision, reason, _)| (decision, reason))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hubs_over_one_postgresql_database_never_accept_a_record_twice() {
    if postgres_admin_url().is_none() {
        eprintln!(
            "skipped on SQLite: two hub processes share a database only on PostgreSQL \
             (set JINKA_TEST_POSTGRES)"
        );
        return;
    }
    const CARDS: u8 = 4;
    const PURCHASES: usize = 24;
    // Batches of 24: large enough for the PostgreSQL engine's bulk insert (COPY).
    const CHUNK: usize = 24;
    let network = Network::start().await;
    let second = network.hub.beside().await;
    assert_ne!(second.address, network.hub.address);
    let mut metro = terminal(&network.keys, METRO_TERMINAL);
    let mut records = Vec::new();
    for n in 1..=CARDS {
        network.register_card(asn(n)).await;
        let mut card = funded_card(&network.keys, asn(n), 100_000);
        let amounts: Vec<u32> = (1..=PURCHASES as u32).map(|i| 100 + i).collect();
        records.extend(purchases(&mut metro, &mut card, &amounts));
    }
    // Chunks in order through the first hub, in reverse order through the second, at once:
    // the two uploads of each record race.
    let chunks: Vec<_> = records.chunks(CHUNK).collect();
    let upload = |hub: &TestHub, prefix: &str, order: Vec<usize>| {
        let key = network.metro.key.clone();
        let bodies: Vec<(usize, Vec<u8>)> = order
            .into_iter()
            .map(|index| {
                (
                    index,
                    bulk_body(&format!("{prefix}-{index}"), chunks[index]),
                )
            })
            .collect();
        let address = hub.address;
        async move {
            let mut answers = vec![Value::Null; bodies.len()];
            for (index, body) in bodies {
                let reply = crate::client::send(
                    address,
                    crate::client::Call {
                        method: hyper::Method::POST,
                        path: "/v1/batches/bulk",
                        key: Some(&key),
                        content_type: Some("application/octet-stream"),
                        body,
                    },
                )
                .await;
                assert_eq!(reply.status, 200, "{}", reply.text());
                answers[index] = reply.json();
            }
            answers
        }
    };
    let forward: Vec<usize> = (0..chunks.len()).collect();
    let backward: Vec<usize> = (0..chunks.len()).rev().collect();
    let (first_answers, second_answers) = tokio::join!(
        upload(&network.hub, "A", forward),
        upload(&second, "B", backward)
    );

    let mut accepted = 0;
    let mut by_first = 0;
    for (first, second) in first_answers.iter().zip(&second_answers) {
        for (one, other) in outcomes(first).into_iter().zip(outcomes(second)) {
            let duplicate = ("rejected".to_owned(), "duplicate".to_owned());
            let pair = (one.0.as_str(), other.0.as_str());
            match pair {
                ("accepted", _) => {
                    assert_eq!(other, duplicate);
                    by_first += 1;
                }
                (_, "accepted") => assert_eq!(one, duplicate),
                _ => panic!("a record accepted by neither hub: {one:?} {other:?}"),
            }
            accepted += 1;
        }
    }
    assert_eq!(accepted, records.len());
    eprintln!(
        "{by_first} of {} records accepted through the first hub, the rest through the second",
        records.len()
    );

    // Stored once each, and cleared once each: the window's report counts every purchase
    // once, and the issuer's position is what its cards spent less its interchange.
    let db = network.hub.database();
    assert_eq!(db.count("accepted_records"), records.len() as i64);
    assert_eq!(db.count("batches"), 2 * chunks.len() as i64);
    let reply = second
        .post_raw(
            "/v1/windows/close",
            Some(&network.hub.operator_key),
            Vec::new(),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let report = reply.json();
    assert_eq!(report["transaction_count"], records.len());
    let spent: u64 = records.iter().map(|r| u64::from(r.amount_fen())).sum();
    let interchange: u64 = records
        .iter()
        .map(|r| (u64::from(r.amount_fen()) * ISSUER_INTERCHANGE_BP + 5_000) / 10_000)
        .sum();
    let issuer = report["positions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["participant"] == network.issuer.id)
        .map(|p| p["position_fen"].as_i64().unwrap());
    assert_eq!(issuer, Some(interchange as i64 - spent as i64));
}
