//! Clearing and settlement over HTTP: loads and purchases post to the ledger, the open window
//! survives a restart, closing it gives positions that sum to zero and equal what the fees
//! say, and each participant sees its own part of the report.

use serde_json::Value;

use crate::network::{
    ISSUER_INTERCHANGE_BP, METRO_NETWORK_BP, METRO_NETWORK_FIXED_FEN, METRO_TERMINAL, Network,
    TOPUP_TERMINAL, accepted, asn, card, decisions, load_through_hub, moment, purchases, terminal,
};

/// `jinka-ledger`'s fee rule: basis points rounded half up, plus the fixed part, at most the
/// amount; the network fee at most what the interchange fee left.
fn fees(amount: u64) -> (u64, u64) {
    let interchange = ((amount * ISSUER_INTERCHANGE_BP + 5_000) / 10_000).min(amount);
    let network = ((amount * METRO_NETWORK_BP + 5_000) / 10_000 + METRO_NETWORK_FIXED_FEN)
        .min(amount - interchange);
    (interchange, network)
}

fn position(report: &Value, participant: u64) -> Option<i64> {
    report["positions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["participant"] == participant)
        .map(|p| p["position_fen"].as_i64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_window_settles_positions_that_sum_to_zero_across_a_restart() {
    let mut network = Network::start().await;
    let loads = [(1u8, 10_000u32), (2, 5_000)];
    let spends: [(u8, &[u32]); 2] = [(1, &[1250, 300, 99]), (2, &[4999, 1])];
    let mut cards = Vec::new();
    for (n, amount) in loads {
        network.register_card(asn(n)).await;
        let (_, card, _, loaded) = load_through_hub(
            terminal(&network.keys, TOPUP_TERMINAL),
            card(&network.keys, asn(n)),
            network.authorizer(&network.topup, &format!("card{n}")),
            amount,
            moment(1, 7, n, 0),
        )
        .await;
        loaded.unwrap();
        cards.push(card);
    }
    let mut metro = terminal(&network.keys, METRO_TERMINAL);
    let mut records = Vec::new();
    for ((_, amounts), card) in spends.iter().zip(&mut cards) {
        records.extend(purchases(&mut metro, card, amounts));
    }
    let reply = network
        .upload(&network.metro, "M-2026-11-02", &records)
        .await;
    assert_eq!(decisions(&reply.json()), vec![accepted(""); 5]);

    // A report of the open window does not exist yet.
    let operator = network.hub.operator_key.clone();
    let reply = network
        .hub
        .get("/v1/windows/1/report", Some(&operator))
        .await;
    assert_eq!(reply.status, 404);

    // The hub restarts between upload and close: the open window is in the database.
    network.hub.stop().await;
    network.hub.serve(None).await.unwrap();
    let hub = &network.hub;

    let reply = hub
        .post(
            "/v1/windows/close",
            Some(&network.metro.key),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(reply.status, 403);
    let reply = hub
        .post_raw("/v1/windows/close", Some(&operator), Vec::new())
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let report = reply.json();
    assert_eq!(report["window_id"], 1);
    assert_eq!(report["transaction_count"], 7);

    let loaded: u64 = loads.iter().map(|(_, amount)| u64::from(*amount)).sum();
    let spent: Vec<u64> = spends
        .iter()
        .flat_map(|(_, amounts)| amounts.iter().map(|a| u64::from(*a)))
        .collect();
    let purchased: u64 = spent.iter().sum();
    let interchange: u64 = spent.iter().map(|a| fees(*a).0).sum();
    let network_fees: u64 = spent.iter().map(|a| fees(*a).1).sum();
    let as_i64 = |fen: u64| i64::try_from(fen).unwrap();
    let expected = [
        (1, as_i64(network_fees)),
        (
            network.issuer.id,
            as_i64(loaded) - as_i64(purchased) + as_i64(interchange),
        ),
        (
            network.metro.id,
            as_i64(purchased) - as_i64(interchange) - as_i64(network_fees),
        ),
        (network.topup.id, -as_i64(loaded)),
    ];
    for (participant, fen) in expected {
        assert_eq!(
            position(&report, participant),
            Some(fen),
            "participant {participant}"
        );
    }
    let positions = report["positions"].as_array().unwrap();
    assert_eq!(positions.len(), 4, "Bus had nothing in the window");
    let sum: i64 = positions
        .iter()
        .map(|p| p["position_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 0);
    assert_eq!(report["positions"][3]["direction"], "net-sender");

    // The same report, stored: whole for the operator; a participant's own part.
    let stored = hub.get("/v1/windows/1/report", Some(&operator)).await;
    assert_eq!(stored.json(), report);
    let own = hub
        .get("/v1/windows/1/report", Some(&network.metro.key))
        .await;
    let own = own.json();
    assert_eq!(own["positions"].as_array().unwrap().len(), 1);
    assert_eq!(
        position(&own, network.metro.id),
        position(&report, network.metro.id)
    );
    let lines = own["lines"].as_array().unwrap();
    assert!(!lines.is_empty());
    assert!(
        lines
            .iter()
            .all(|line| line["participant"] == network.metro.id)
    );
    assert_eq!(lines[0]["batch_id"], "M-2026-11-02");
    assert_eq!(lines[0]["entries"], 5);

    // CSV: the lines table (default) and the positions table, each with its header.
    let csv = hub
        .get("/v1/windows/1/report?format=csv", Some(&operator))
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(
        rows[0],
        "window_id,participant,origin,acquirer,batch_id,account,entries,debit_fen,credit_fen,net_fen"
    );
    assert_eq!(rows.len(), 1 + report["lines"].as_array().unwrap().len());
    assert!(
        rows.contains(&"1,5,online-loads,,,collected-cash,2,15000,0,-15000"),
        "{text}"
    );
    let csv = hub
        .get(
            "/v1/windows/1/report?format=csv&table=positions",
            Some(&network.topup.key),
        )
        .await;
    assert_eq!(
        csv.text(),
        "window_id,participant,position_fen,direction,net_debit_cap_fen,cap_breach_fen\n\
         1,5,-15000,net-sender,,\n"
    );
    let reply = hub
        .get("/v1/windows/1/report?format=xml", Some(&operator))
        .await;
    assert_eq!(reply.status, 400);

    // The next window is open and empty: closing it settles nothing.
    let reply = hub
        .post_raw("/v1/windows/close", Some(&operator), Vec::new())
        .await;
    let next = reply.json();
    assert_eq!(next["window_id"], 2);
    assert_eq!(next["positions"], serde_json::json!([]));
    assert_eq!(next["settlement_transaction_id"], Value::Null);
}
