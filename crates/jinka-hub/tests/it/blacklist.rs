//! The versioned blacklist over HTTP: issuers hotlist and take off their cards, every change
//! is a version, terminals' owners fetch deltas (JSON or binary), hub processes over one
//! database agree, and load authorization honours it at once.

use hyper::Method;
use jinka_risk::BlacklistUpdate;
use serde_json::json;

use crate::client::Reply;
use crate::network::{Network, TOPUP_TERMINAL, asn, card, load_through_hub, moment, terminal};
use crate::test_hub::TestHub;

async fn hotlist(network: &Network, key: &str, n: u8, reason: &str) -> Reply {
    let path = format!("/v1/cards/{}/hotlist", hex::encode(asn(n)));
    network
        .hub
        .post(&path, Some(key), &json!({ "reason": reason }))
        .await
}

async fn unhotlist(network: &Network, key: &str, n: u8) -> Reply {
    let path = format!("/v1/cards/{}/unhotlist", hex::encode(asn(n)));
    network.hub.post(&path, Some(key), &json!({})).await
}

async fn fetch_binary(hub: &TestHub, key: &str, since: u64) -> Reply {
    let path = format!("/v1/blacklist?since={since}");
    let stream = tokio::net::TcpStream::connect(hub.address).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    let request = hyper::Request::builder()
        .method(Method::GET)
        .uri(path)
        .header("host", hub.address.to_string())
        .header("authorization", format!("Bearer {key}"))
        .header("accept", "application/octet-stream")
        .body(http_body_util::Full::new(hyper::body::Bytes::new()))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hotlisting_and_removal_bump_the_version_and_terminals_get_the_deltas() {
    let network = Network::start().await;
    for n in [1, 2] {
        network.register_card(asn(n)).await;
    }
    let issuer = network.issuer.key.clone();
    let metro = network.metro.key.clone();
    let hub = &network.hub;
    let empty = hub.get("/v1/blacklist", Some(&metro)).await.json();
    assert_eq!(
        empty,
        json!({ "kind": "full", "version": 0, "entries": [] })
    );

    // The issuer reports card 1 lost: version 1.
    let reply = hotlist(&network, &issuer, 1, "lost").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!({ "asn": hex::encode(asn(1)), "status": "hotlisted", "version": 1, "changed": true })
    );
    // Again: nothing changes.
    let reply = hotlist(&network, &issuer, 1, "issuer_request").await;
    assert_eq!(reply.json()["changed"], false);
    assert_eq!(reply.json()["version"], 1);
    // Another participant cannot; an unknown reason is refused.
    assert_eq!(hotlist(&network, &metro, 2, "lost").await.status, 404);
    assert_eq!(hotlist(&network, &issuer, 2, "stolen").await.status, 400);

    // Card 2 at the issuer's request (version 2); card 1 taken off (version 3).
    assert_eq!(
        hotlist(&network, &issuer, 2, "issuer_request").await.status,
        200
    );
    let reply = unhotlist(&network, &issuer, 1).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["status"], "active");
    assert_eq!(reply.json()["version"], 3);
    assert_eq!(unhotlist(&network, &issuer, 1).await.status, 409);

    // Deltas: from 0 the folded changes, from 1 the removal too, at 3 up to date.
    let (one, two) = (hex::encode(asn(1)), hex::encode(asn(2)));
    let delta = hub.get("/v1/blacklist?since=0", Some(&metro)).await.json();
    assert_eq!(
        delta,
        json!({ "kind": "delta", "from": 0, "to": 3, "added": [two], "removed": [] })
    );
    let delta = hub.get("/v1/blacklist?since=1", Some(&metro)).await.json();
    assert_eq!(
        delta,
        json!({ "kind": "delta", "from": 1, "to": 3, "added": [two], "removed": [one] })
    );
    let delta = hub.get("/v1/blacklist?since=3", Some(&metro)).await.json();
    assert_eq!(delta["added"], json!([]));
    assert_eq!(
        hub.get("/v1/blacklist?since=4", Some(&metro)).await.status,
        400
    );
    // The binary form says the same.
    let reply = fetch_binary(hub, &metro, 1).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers["content-type"], "application/octet-stream");
    let update = BlacklistUpdate::decode(&reply.body).unwrap();
    let json_form: BlacklistUpdate =
        serde_json::from_value(hub.get("/v1/blacklist?since=1", Some(&metro)).await.json())
            .unwrap();
    assert_eq!(update, json_form);
    // Load agents read it; an issuer does not.
    let topup = network.topup.key.clone();
    assert_eq!(hub.get("/v1/blacklist", Some(&topup)).await.status, 200);
    assert_eq!(hub.get("/v1/blacklist", Some(&issuer)).await.status, 403);

    // A hotlisted card's load is refused at once; taken off, it loads again.
    let (_, _, authorizer, loaded) = load_through_hub(
        terminal(&network.keys, TOPUP_TERMINAL),
        card(&network.keys, asn(2)),
        network.authorizer(&network.topup, "topup"),
        1_000,
        moment(1, 7, 0, 0),
    )
    .await;
    assert!(loaded.is_err());
    assert_eq!(authorizer.answers[0].2["error"], "card_not_active");
    assert_eq!(unhotlist(&network, &issuer, 2).await.status, 200);
    let (_, _, _, loaded) = load_through_hub(
        terminal(&network.keys, TOPUP_TERMINAL),
        card(&network.keys, asn(2)),
        network.authorizer(&network.topup, "again"),
        1_000,
        moment(1, 7, 5, 0),
    )
    .await;
    assert!(loaded.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_processes_over_one_database_serve_the_same_blacklist() {
    let network = Network::start().await;
    network.register_card(asn(1)).await;
    let other = network.hub.beside().await;
    let metro = network.metro.key.clone();
    // Read on the second hub first, so its list is in memory at version 0.
    let before = other
        .get("/v1/blacklist?since=0", Some(&metro))
        .await
        .json();
    assert_eq!(before["to"], 0);
    assert_eq!(
        hotlist(&network, &network.issuer.key.clone(), 1, "lost")
            .await
            .status,
        200
    );
    let after = other
        .get("/v1/blacklist?since=0", Some(&metro))
        .await
        .json();
    assert_eq!(
        after,
        json!({ "kind": "delta", "from": 0, "to": 1,
                "added": [hex::encode(asn(1))], "removed": [] })
    );
}

#[tokio::test]
async fn a_risk_rules_listing_is_taken_off_by_the_operator_only() {
    let network = Network::start().await;
    network.register_card(asn(1)).await;
    // As a risk rule would list it (the rule itself is tested in `risk`).
    let db = network.hub.database();
    db.execute("UPDATE cards SET status = 'hotlisted'", &[]);
    db.execute(
        "INSERT INTO blacklist_changes (version, asn, kind, reason, at_ms)
         SELECT 1, asn, 'listed', 'risk_rule', 0 FROM cards",
        &[],
    );
    let reply = unhotlist(&network, &network.issuer.key.clone(), 1).await;
    assert_eq!(reply.status, 409, "{}", reply.text());
    let reply = unhotlist(&network, &network.hub.operator_key.clone(), 1).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["version"], 2);
}
