//! The registry over HTTP: the operator's participants and credentials, participants' own
//! terminals and cards, and what they may not see or do.

use serde_json::json;

use crate::test_hub::TestHub;

#[tokio::test]
async fn the_operator_registers_participants_and_their_keys_work() {
    let hub = TestHub::start().await;
    let operator = Some(hub.operator_key.as_str());
    let reply = hub
        .post(
            "/v1/participants",
            operator,
            &json!({
                "name": "Shanghai Transit Card Co.",
                "roles": ["issuer", "acquirer"],
                "region": 310000,
                "fees": { "interchange": { "basis_points": 50, "fixed_fen": 0 },
                          "network": { "basis_points": 10, "fixed_fen": 1 } },
                "net_debit_cap_fen": 100000000,
                "settlement_account": "ICBC 6222 0000"
            }),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let participant = reply.json();
    let id = participant["id"].as_u64().unwrap();
    assert_eq!(participant["roles"], json!(["issuer", "acquirer"]));
    assert_eq!(participant["fees"]["network"]["fixed_fen"], 1);
    assert_eq!(participant["net_debit_cap_fen"], 100000000);

    let reply = hub
        .post(
            &format!("/v1/participants/{id}/credentials"),
            operator,
            &json!({}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let issued = reply.json();
    let key = issued["api_key"].as_str().unwrap();
    assert!(key.starts_with(&format!("jinka_{}_", issued["key_id"].as_str().unwrap())));

    // The key works and shows the participant itself only.
    let reply = hub.get("/v1/participants", Some(key)).await;
    assert_eq!(reply.status, 200);
    let items = reply.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], id);
    // The operator sees both.
    let reply = hub.get("/v1/participants", operator).await;
    assert_eq!(reply.json()["items"].as_array().unwrap().len(), 2);
    // Names are unique.
    let reply = hub
        .post(
            "/v1/participants",
            operator,
            &json!({ "name": "Shanghai Transit Card Co.", "roles": ["issuer"], "region": 1 }),
        )
        .await;
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error_code(), "conflict");
}

#[tokio::test]
async fn an_acquirer_sees_only_its_own_terminals() {
    let hub = TestHub::start().await;
    let metro = hub.member("Metro", &["acquirer"]).await;
    let bus = hub.member("Bus", &["acquirer"]).await;
    let register = |key: String, id: &'static str| {
        let hub = &hub;
        async move {
            hub.post(
                "/v1/terminals",
                Some(&key),
                &json!({ "terminal_id": id, "region": 310000 }),
            )
            .await
        }
    };
    let reply = register(metro.key.clone(), "000000000001").await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.json()["owner"], metro.id);
    assert_eq!(register(bus.key.clone(), "000000000002").await.status, 201);
    // The same id again, by anyone: a conflict.
    let reply = register(bus.key.clone(), "000000000001").await;
    assert_eq!(reply.status, 409);

    let listing = hub.get("/v1/terminals", Some(&metro.key)).await.json();
    assert_eq!(listing["items"].as_array().unwrap().len(), 1);
    assert_eq!(listing["items"][0]["terminal_id"], "000000000001");
    assert_eq!(listing["next_after"], json!(null));

    // Another's terminal is as unknown as one that does not exist.
    let other = hub
        .get("/v1/terminals/000000000002", Some(&metro.key))
        .await;
    let missing = hub
        .get("/v1/terminals/0000000000FF", Some(&metro.key))
        .await;
    assert_eq!(other.status, 404);
    assert_eq!(missing.status, 404);
    assert_eq!(other.error_code(), "not_found");
    assert_eq!(
        hub.get("/v1/terminals/000000000002", Some(&hub.operator_key))
            .await
            .status,
        200
    );
    assert_eq!(
        hub.get("/v1/terminals", Some(&hub.operator_key))
            .await
            .json()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn a_participant_cannot_act_for_another() {
    let hub = TestHub::start().await;
    let metro = hub.member("Metro", &["acquirer"]).await;
    let bus = hub.member("Bus", &["acquirer", "issuer"]).await;
    // A terminal for another acquirer: 403, nothing registered.
    let reply = hub
        .post(
            "/v1/terminals",
            Some(&metro.key),
            &json!({ "terminal_id": "000000000009", "owner": bus.id, "region": 1 }),
        )
        .await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.error_code(), "forbidden");
    assert_eq!(
        hub.get("/v1/terminals/000000000009", Some(&hub.operator_key))
            .await
            .status,
        404
    );
    // Operator-only routes.
    let reply = hub
        .post(
            "/v1/participants",
            Some(&metro.key),
            &json!({ "name": "Mine", "roles": ["operator"], "region": 1 }),
        )
        .await;
    assert_eq!(reply.status, 403);
    let reply = hub
        .post(
            &format!("/v1/participants/{}/credentials", bus.id),
            Some(&metro.key),
            &json!({}),
        )
        .await;
    assert_eq!(reply.status, 403);
    // Another participant's record: 404.
    let reply = hub
        .get(&format!("/v1/participants/{}", bus.id), Some(&metro.key))
        .await;
    assert_eq!(reply.status, 404);
    // The operator must name the owner.
    let reply = hub
        .post(
            "/v1/terminals",
            Some(&hub.operator_key),
            &json!({ "terminal_id": "000000000009", "region": 1 }),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), "invalid_field");
    // Only acquirers and load agents own terminals.
    let issuer = hub.member("Issuer only", &["issuer"]).await;
    let reply = hub
        .post(
            "/v1/terminals",
            Some(&issuer.key),
            &json!({ "terminal_id": "000000000010", "region": 1 }),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply.json()["reason"]
            .as_str()
            .unwrap()
            .contains("acquirer or load_agent")
    );
}

#[tokio::test]
async fn issuers_register_their_cards() {
    let hub = TestHub::start().await;
    let issuer = hub.member("City card", &["issuer"]).await;
    let other = hub.member("Other card", &["issuer"]).await;
    let card = json!({
        "asn": "3104000000000001",
        "issuer_id": "3104000000000000",
        "profile": "sm4",
        "applications": ["A000000632010105", "A000000632010106"]
    });
    let reply = hub.post("/v1/cards", Some(&issuer.key), &card).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let registered = reply.json();
    assert_eq!(registered["status"], "active");
    assert_eq!(registered["issuer"], issuer.id);
    assert_eq!(registered["applications"].as_array().unwrap().len(), 2);
    let reply = hub
        .get("/v1/cards/3104000000000001", Some(&issuer.key))
        .await;
    assert_eq!(reply.json(), registered);
    // Another issuer sees nothing of it and may not use its issuer id.
    assert_eq!(
        hub.get("/v1/cards/3104000000000001", Some(&other.key))
            .await
            .status,
        404
    );
    let mut stolen = card.clone();
    stolen["asn"] = json!("3104000000000002");
    let reply = hub.post("/v1/cards", Some(&other.key), &stolen).await;
    assert_eq!(reply.status, 409, "{}", reply.text());
    assert!(
        hub.get("/v1/cards", Some(&other.key)).await.json()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn listings_come_in_pages() {
    let hub = TestHub::start().await;
    let metro = hub.member("Metro", &["acquirer"]).await;
    for n in 1..=5 {
        let reply = hub
            .post(
                "/v1/terminals",
                Some(&metro.key),
                &json!({ "terminal_id": format!("{n:012X}"), "region": 1 }),
            )
            .await;
        assert_eq!(reply.status, 201);
    }
    let first = hub
        .get("/v1/terminals?limit=2", Some(&metro.key))
        .await
        .json();
    assert_eq!(first["next_after"], "000000000002");
    let last = hub
        .get("/v1/terminals?limit=3&after=000000000002", Some(&metro.key))
        .await
        .json();
    assert_eq!(last["items"].as_array().unwrap().len(), 3);
    assert_eq!(last["items"][0]["terminal_id"], "000000000003");
    assert_eq!(last["next_after"], "000000000005");
    for bad in ["limit=0", "limit=1001", "limit=x", "after=zz", "color=red"] {
        let reply = hub
            .get(&format!("/v1/terminals?{bad}"), Some(&metro.key))
            .await;
        assert_eq!(reply.status, 400, "{bad}");
    }
}
