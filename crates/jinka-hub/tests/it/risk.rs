//! Risk rules inside ingest, over HTTP: each rule fires on its pattern through real batches
//! (records of real cards and software terminals), its action is carried out in the batch's
//! transaction, the decision is listed and explained to those who may see it; normal
//! traffic decides nothing.

use hyper::Method;
use jinka_record::{RecordFields, TransactionRecord};
use serde_json::{Value, json};

use crate::client::{Call, Reply, send};
use crate::network::{
    BUS_TERMINAL, METRO_TERMINAL, Network, TOPUP_TERMINAL, accepted, asn, card, count, database,
    decisions, funded_card, load_through_hub, moment, purchases, rejected, terminal,
};

fn with_tac(record: &TransactionRecord, tac: [u8; 4]) -> TransactionRecord {
    TransactionRecord::new(RecordFields {
        tac,
        ..record.fields()
    })
    .unwrap()
}

async fn put_config(network: &Network, key: &str, config: &Value) -> Reply {
    send(
        network.hub.address,
        Call {
            method: Method::PUT,
            path: "/v1/risk/config",
            key: Some(key),
            content_type: Some("application/json"),
            body: config.to_string().into_bytes(),
        },
    )
    .await
}

async fn decisions_of(network: &Network, key: &str) -> Vec<Value> {
    let reply = network.hub.get("/v1/risk/decisions", Some(key)).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["items"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cloned_cards_balance_discontinuity_hotlists_it_and_its_next_load_is_refused() {
    let network = Network::start().await;
    network.register_card(asn(1)).await;
    // The genuine card and its clone: the same card image, spent at two acquirers.
    let mut genuine = funded_card(&network.keys, asn(1), 10_000);
    let mut clone = funded_card(&network.keys, asn(1), 10_000);
    let mut metro = terminal(&network.keys, METRO_TERMINAL);
    let mut bus = terminal(&network.keys, BUS_TERMINAL);
    let spent = purchases(&mut metro, &mut genuine, &[300, 300]);
    let answer = network.upload(&network.metro, "M-1", &spent).await;
    assert_eq!(decisions(&answer.json()), [accepted(""), accepted("")]);
    assert!(
        decisions_of(&network, &network.hub.operator_key)
            .await
            .is_empty()
    );

    // The clone spends the copied balance: its first two records repeat the genuine
    // card's counter values (duplicates), the third breaks the balance chain.
    let copied = purchases(&mut bus, &mut clone, &[500, 200, 100]);
    let answer = network.upload(&network.bus, "B-1", &copied).await;
    assert_eq!(
        decisions(&answer.json()),
        [
            rejected("duplicate"),
            rejected("duplicate"),
            accepted("balance_discontinuity")
        ]
    );

    // One decision: the rule, the card, the action; the issuer sees it, Bus does not.
    let operator = network.hub.operator_key.clone();
    let all = decisions_of(&network, &operator).await;
    assert_eq!(all.len(), 1, "{all:?}");
    let decision = &all[0];
    assert_eq!(decision["rule"], "balance_discontinuity");
    assert_eq!(decision["action"], "hotlist_card");
    assert_eq!(decision["subject"], json!({ "card": hex::encode(asn(1)) }));
    assert_eq!(decisions_of(&network, &network.issuer.key).await.len(), 1);
    assert!(decisions_of(&network, &network.bus.key).await.is_empty());

    // Explained: the record behind it, found under its batch.
    let id = decision["id"].as_u64().unwrap();
    let path = format!("/v1/risk/decisions/{id}");
    let explained = network
        .hub
        .get(&path, Some(&network.issuer.key))
        .await
        .json();
    let records = explained["records"].as_array().unwrap();
    assert_eq!(records.len(), 1, "{explained}");
    assert_eq!(records[0]["batch_id"], "B-1");
    assert_eq!(records[0]["index"], 2);
    assert_eq!(records[0]["decision"], "accepted");
    assert_eq!(records[0]["amount_fen"], 100);
    assert_eq!(records[0]["terminal_id"], hex::encode(BUS_TERMINAL));
    assert_eq!(
        network.hub.get(&path, Some(&network.bus.key)).await.status,
        404
    );

    // The card is hotlisted, and in the blacklist delta terminals fetch.
    let card_path = format!("/v1/cards/{}", hex::encode(asn(1)));
    let shown = network
        .hub
        .get(&card_path, Some(&network.issuer.key))
        .await
        .json();
    assert_eq!(shown["status"], "hotlisted");
    let delta = network
        .hub
        .get("/v1/blacklist?since=0", Some(&network.metro.key))
        .await
        .json();
    assert_eq!(
        delta,
        json!({ "kind": "delta", "from": 0, "to": 1,
                "added": [hex::encode(asn(1))], "removed": [] })
    );

    // Its next online load is refused at once.
    let (_, _, authorizer, loaded) = load_through_hub(
        terminal(&network.keys, TOPUP_TERMINAL),
        genuine,
        network.authorizer(&network.topup, "topup"),
        1_000,
        moment(3, 7, 0, 0),
    )
    .await;
    assert!(loaded.is_err());
    assert_eq!(authorizer.answers[0].1, 422);
    assert_eq!(authorizer.answers[0].2["error"], "card_not_active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_bad_tacs_from_one_terminal_suspend_it_and_its_loads_are_refused() {
    let network = Network::start().await;
    let operator = network.hub.operator_key.clone();
    let reply = put_config(&network, &operator, &json!({ "bad_tac": { "count": 3 } })).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["bad_tac"]["count"], 3);
    network.register_card(asn(1)).await;
    network.register_card(asn(2)).await;
    let mut card_one = funded_card(&network.keys, asn(1), 10_000);
    let mut topup = terminal(&network.keys, TOPUP_TERMINAL);
    let genuine = purchases(&mut topup, &mut card_one, &[100, 100, 100, 100]);

    // Two bad TACs: nothing yet.
    let tampered: Vec<_> = genuine[..2].iter().map(|r| with_tac(r, [0; 4])).collect();
    let answer = network.upload(&network.topup, "U-1", &tampered).await;
    assert_eq!(
        decisions(&answer.json()),
        [rejected("bad_tac"), rejected("bad_tac")]
    );
    assert!(decisions_of(&network, &operator).await.is_empty());
    // The third: the terminal is suspended; the decision names the three rejections.
    let answer = network
        .upload(&network.topup, "U-2", &[with_tac(&genuine[2], [0; 4])])
        .await;
    assert_eq!(decisions(&answer.json()), [rejected("bad_tac")]);
    let all = decisions_of(&network, &operator).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["rule"], "bad_tac");
    assert_eq!(all[0]["action"], "suspend_terminal");
    assert_eq!(
        all[0]["subject"],
        json!({ "terminal": hex::encode(TOPUP_TERMINAL) })
    );
    assert_eq!(all[0]["evidence"].as_array().unwrap().len(), 3);
    // The terminal's owner sees it; the card's issuer does not (it is about a terminal).
    assert_eq!(decisions_of(&network, &network.topup.key).await.len(), 1);
    assert!(decisions_of(&network, &network.issuer.key).await.is_empty());
    let id = all[0]["id"].as_u64().unwrap();
    let explained = network
        .hub
        .get(
            &format!("/v1/risk/decisions/{id}"),
            Some(&network.topup.key),
        )
        .await
        .json();
    let reasons: Vec<&str> = explained["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["decision"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["bad_tac", "bad_tac", "bad_tac"]);

    // Load authorization through the suspended terminal is refused.
    let (_, _, authorizer, loaded) = load_through_hub(
        terminal(&network.keys, TOPUP_TERMINAL),
        card(&network.keys, asn(2)),
        network.authorizer(&network.topup, "topup"),
        1_000,
        moment(3, 7, 0, 0),
    )
    .await;
    assert!(loaded.is_err());
    assert_eq!(authorizer.answers[0].1, 403);
    assert_eq!(authorizer.answers[0].2["error"], "terminal_suspended");
    // Its offline records are still cleared: the purchases happened.
    let answer = network.upload(&network.topup, "U-3", &genuine[3..]).await;
    assert_eq!(decisions(&answer.json()), [accepted("counter_gap")]);

    // Only the operator lifts the suspension; then the terminal loads again.
    let path = format!(
        "/v1/terminals/{}/reinstate",
        hex::encode_upper(TOPUP_TERMINAL)
    );
    let refused = network
        .hub
        .post(&path, Some(&network.topup.key), &json!({}))
        .await;
    assert_eq!(refused.status, 403, "{:?}", refused.json());
    let operator = Some(network.hub.operator_key.as_str());
    let reinstated = network.hub.post(&path, operator, &json!({})).await;
    assert_eq!(reinstated.status, 200);
    assert_eq!(reinstated.json()["changed"], true);
    let again = network.hub.post(&path, operator, &json!({})).await;
    assert_eq!(
        again.json()["changed"],
        false,
        "it was not suspended any more"
    );
    let unknown = network
        .hub
        .post("/v1/terminals/0000000000FF/reinstate", operator, &json!({}))
        .await;
    assert_eq!(unknown.status, 404);
    let (_, _, authorizer, loaded) = load_through_hub(
        terminal(&network.keys, TOPUP_TERMINAL),
        card(&network.keys, asn(2)),
        network.authorizer(&network.topup, "again"),
        1_000,
        moment(3, 8, 0, 0),
    )
    .await;
    assert!(loaded.is_ok(), "{:?}", authorizer.answers);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_spend_and_velocity_flag_a_card_and_normal_traffic_decides_nothing() {
    let network = Network::start().await;
    let operator = network.hub.operator_key.clone();
    let reply = put_config(
        &network,
        &operator,
        &json!({ "daily_spend": { "threshold_fen": 1_000 },
                 "velocity": { "min_travel_minutes": 120 } }),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    // A terminal of Bus in another region (Beijing).
    let far: [u8; 6] = [0, 0, 0, 0, 0x30, 0x02];
    let reply = network
        .hub
        .post(
            "/v1/terminals",
            Some(&network.bus.key),
            &json!({ "terminal_id": hex::encode(far), "region": 110000 }),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    for n in [1, 2] {
        network.register_card(asn(n)).await;
    }
    let mut metro = terminal(&network.keys, METRO_TERMINAL);
    let mut beijing = terminal(&network.keys, far);

    // Normal traffic: small purchases in one city, several batches: no decision.
    let mut quiet = funded_card(&network.keys, asn(1), 10_000);
    for batch in 0..3 {
        let records = purchases(&mut metro, &mut quiet, &[100, 200]);
        let answer = network
            .upload(&network.metro, &format!("Q-{batch}"), &records)
            .await;
        assert_eq!(decisions(&answer.json()), [accepted(""), accepted("")]);
    }
    assert!(decisions_of(&network, &operator).await.is_empty());

    // Card 2: 600 + 500 fen on one day (past 1,000), the second in Beijing a minute later.
    let mut busy = funded_card(&network.keys, asn(2), 10_000);
    let first = purchases(&mut metro, &mut busy, &[600]);
    let second = beijing
        .purchase(&mut busy, 500, moment(2, 9, 1, 0))
        .unwrap()
        .record;
    let answer = network.upload(&network.metro, "D-1", &first).await;
    assert_eq!(decisions(&answer.json()), [accepted("")]);
    let answer = network.upload(&network.bus, "D-2", &[second]).await;
    assert_eq!(decisions(&answer.json()), [accepted("")]);
    let all = decisions_of(&network, &operator).await;
    let mut rules: Vec<&str> = all.iter().map(|d| d["rule"].as_str().unwrap()).collect();
    rules.sort_unstable();
    assert_eq!(rules, ["daily_spend", "velocity"], "{all:?}");
    for decision in &all {
        assert_eq!(decision["action"], "flag");
        assert_eq!(decision["subject"], json!({ "card": hex::encode(asn(2)) }));
        assert_eq!(decision["evidence"].as_array().unwrap().len(), 2);
    }
    // A flag changes nothing: the card stays active and off the blacklist.
    let card_path = format!("/v1/cards/{}", hex::encode(asn(2)));
    let shown = network
        .hub
        .get(&card_path, Some(&network.issuer.key))
        .await
        .json();
    assert_eq!(shown["status"], "active");
    let delta = network
        .hub
        .get("/v1/blacklist?since=0", Some(&network.metro.key))
        .await;
    assert_eq!(delta.json()["to"], 0);
}

#[tokio::test]
async fn the_configuration_is_the_operators_and_a_bad_one_is_refused_with_the_reason() {
    let network = Network::start().await;
    let operator = network.hub.operator_key.clone();
    let reply = network.hub.get("/v1/risk/config", Some(&operator)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["bad_tac"]["count"], 10);
    let reply = network
        .hub
        .get("/v1/risk/config", Some(&network.issuer.key))
        .await;
    assert_eq!(reply.status, 403);
    let reply = put_config(&network, &network.issuer.key, &json!({})).await;
    assert_eq!(reply.status, 403);
    let reply = put_config(&network, &operator, &json!({ "bad_tac": { "count": 0 } })).await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.error_code(), "invalid_config");
    assert!(
        reply.json()["reason"].as_str().unwrap().contains("bad_tac"),
        "{}",
        reply.text()
    );
    let reply = put_config(&network, &operator, &json!({ "no_such_rule": {} })).await;
    assert_eq!(reply.status, 422);
    // The stored configuration is the one a restarted hub uses.
    let reply = put_config(&network, &operator, &json!({ "bad_tac": { "count": 4 } })).await;
    assert_eq!(reply.status, 200);
    let mut hub = network.hub;
    hub.stop().await;
    hub.serve(None).await.expect("serve again");
    let reply = hub.get("/v1/risk/config", Some(&operator)).await;
    assert_eq!(reply.json()["bad_tac"]["count"], 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counter_gap_left_open_past_its_limit_is_flagged_once() {
    use std::sync::Arc;

    use jinka_hub::{Clock, FixedClock, SystemClock};

    let clock = Arc::new(FixedClock::new(SystemClock.now()));
    let hub = crate::test_hub::TestHub::start_with(|_| {}, Some(clock.clone())).await;
    let network = Network::on(hub).await;
    let operator = network.hub.operator_key.clone();
    let reply = put_config(
        &network,
        &operator,
        &json!({ "counter_gap": { "open_limit_minutes": 60 } }),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    network.register_card(asn(1)).await;
    let mut card = funded_card(&network.keys, asn(1), 10_000);
    let mut metro = terminal(&network.keys, METRO_TERMINAL);
    let records = purchases(&mut metro, &mut card, &[100, 100, 100, 100]);

    // Record 1 is missing: record 2 opens a gap; within the limit nothing is decided.
    let answer = network
        .upload(&network.metro, "G-1", &[records[0], records[2]])
        .await;
    assert_eq!(
        decisions(&answer.json()),
        [accepted(""), accepted("counter_gap")]
    );
    clock.advance(30 * 60_000);
    let answer = network.upload(&network.metro, "G-2", &records[3..]).await;
    assert_eq!(decisions(&answer.json()), [accepted("")]);
    assert!(decisions_of(&network, &operator).await.is_empty());

    // Past the limit, the card's next batch finds the gap still open: one flag, whose
    // evidence is the record that opened the gap.
    clock.advance(60 * 60_000);
    let more = purchases(&mut metro, &mut card, &[100]);
    let answer = network.upload(&network.metro, "G-3", &more).await;
    assert_eq!(decisions(&answer.json()), [accepted("")]);
    let all = decisions_of(&network, &operator).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["rule"], "counter_gap");
    assert_eq!(all[0]["action"], "flag");
    let id = all[0]["id"].as_u64().unwrap();
    let explained = network
        .hub
        .get(&format!("/v1/risk/decisions/{id}"), Some(&operator))
        .await
        .json();
    assert_eq!(explained["records"][0]["batch_id"], "G-1");
    assert_eq!(explained["records"][0]["index"], 1);
    // Once per gap: later batches do not decide it again; the missing record fills it.
    clock.advance(60 * 60_000);
    let answer = network.upload(&network.metro, "G-4", &records[1..2]).await;
    assert_eq!(decisions(&answer.json()), [accepted("")]);
    assert_eq!(decisions_of(&network, &operator).await.len(), 1);
}

/// The velocity rule with 120 minutes between cities, and a load terminal of Top-up in
/// Beijing (region 110000): its id.
async fn velocity_in_two_hours(network: &Network) -> [u8; 6] {
    let config = json!({ "velocity": { "min_travel_minutes": 120 } });
    let operator = &network.hub.operator_key;
    assert_eq!(put_config(network, operator, &config).await.status, 200);
    let far: [u8; 6] = [0, 0, 0, 0, 0x40, 0x02];
    let reply = network
        .hub
        .post(
            "/v1/terminals",
            Some(&network.topup.key),
            &json!({ "terminal_id": hex::encode(far), "region": 110000 }),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    far
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_load_in_another_city_minutes_after_a_purchase_is_flagged() {
    let network = Network::start().await;
    let operator = network.hub.operator_key.clone();
    let far = velocity_in_two_hours(&network).await;
    network.register_card(asn(1)).await;
    let mut card = funded_card(&network.keys, asn(1), 10_000);
    let mut metro = terminal(&network.keys, METRO_TERMINAL);
    // 09:00 in Shanghai.
    let bought = purchases(&mut metro, &mut card, &[300]);
    let answer = network.upload(&network.metro, "S-1", &bought).await;
    assert_eq!(decisions(&answer.json()), [accepted("")]);
    // 09:05 in Beijing, online: approved (a flag does not refuse), and flagged.
    let (_, _, authorizer, loaded) = load_through_hub(
        terminal(&network.keys, far),
        card,
        network.authorizer(&network.topup, "bj"),
        1_000,
        moment(2, 9, 5, 0),
    )
    .await;
    assert!(loaded.is_ok(), "{:?}", authorizer.answers);
    let all = decisions_of(&network, &operator).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["rule"], "velocity");
    let id = all[0]["id"].as_u64().unwrap();
    let explained = network
        .hub
        .get(
            &format!("/v1/risk/decisions/{id}"),
            Some(&network.issuer.key),
        )
        .await
        .json();
    let records = explained["records"].as_array().unwrap();
    assert_eq!(records.len(), 2, "{explained}");
    assert_eq!(records[0]["batch_id"], "S-1");
    assert_eq!(records[1]["load_id"], "bj-1");
    assert_eq!(records[1]["kind"], "load");
    assert_eq!(records[1]["terminal_id"], hex::encode(far));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_restarted_after_a_window_close_remembers_what_its_rules_saw() {
    let mut network = Network::start().await;
    let operator = network.hub.operator_key.clone();
    let far = velocity_in_two_hours(&network).await;
    network.register_card(asn(1)).await;
    let mut card = funded_card(&network.keys, asn(1), 10_000);
    let mut metro = terminal(&network.keys, METRO_TERMINAL);
    // 09:00 in Shanghai; then the window closes, which saves the rules' state.
    let bought = purchases(&mut metro, &mut card, &[300]);
    let answer = network.upload(&network.metro, "S-1", &bought).await;
    assert_eq!(decisions(&answer.json()), [accepted("")]);
    let reply = network
        .hub
        .post_raw("/v1/windows/close", Some(&operator), Vec::new())
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let db = database(&network.hub);
    assert_eq!(count(&db, "risk_state_chunks"), 1);
    assert_eq!(
        count(&db, "risk_settings"),
        1,
        "the config only: no JSON state"
    );
    // The hub restarts; 09:05 in Beijing, online: the restarted rules remember Shanghai.
    network.hub.stop().await;
    network.hub.serve(None).await.unwrap();
    let (_, _, authorizer, loaded) = load_through_hub(
        terminal(&network.keys, far),
        card,
        network.authorizer(&network.topup, "bj"),
        1_000,
        moment(2, 9, 5, 0),
    )
    .await;
    assert!(loaded.is_ok(), "{:?}", authorizer.answers);
    let all = decisions_of(&network, &operator).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["rule"], "velocity");
}
