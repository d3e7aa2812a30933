//! RFID traceability over HTTP: `POST /v1/trace/capture`, the EPCIS event query and the three
//! answers (where is it, what happened to it, what does it hold) through aggregation and
//! disaggregation; refusals; who sees what.

use serde_json::{Value, json};

use crate::client::Reply;
use crate::test_hub::{Member, TestHub};

const FACTORY: &str = "urn:epc:id:sgln:0614141.00001.0";
const DOCK: &str = "urn:epc:id:sgln:0614141.00001.1";
const WAREHOUSE: &str = "urn:epc:id:sgln:0012345.00001.0";

fn item(n: u64) -> String {
    format!("urn:epc:id:sgtin:0614141.812345.{n}")
}

fn case(n: u64) -> String {
    format!("urn:epc:id:sscc:0614141.1{n:09}")
}

fn pallet(n: u64) -> String {
    format!("urn:epc:id:sscc:0614141.2{n:09}")
}

fn event(kind: &str, hour: u32, fields: Value) -> Value {
    let mut event = json!({
        "type": kind,
        "eventTime": format!("2026-03-02T{hour:02}:00:00.000+08:00"),
        "eventTimeZoneOffset": "+08:00",
    });
    if let (Some(object), Value::Object(fields)) = (event.as_object_mut(), fields) {
        object.extend(fields);
    }
    event
}

fn document(events: Vec<Value>) -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-02T18:00:00Z",
        "epcisBody": {"eventList": events},
    })
}

fn to(participant: &Member) -> Value {
    json!([{"type": "owning_party", "destination": format!("urn:jinka:participant:{}", participant.id)}])
}

async fn capture(hub: &TestHub, key: &str, events: Vec<Value>) -> Value {
    let reply = hub
        .post("/v1/trace/capture", Some(key), &document(events))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()
}

/// Packs items 1-4 in cases 1-2 on pallet 1 and ships it to `receiver` (the loading and the
/// shipping are shared with it).
async fn pack_and_ship(hub: &TestHub, maker: &Member, receiver: &Member) -> Value {
    capture(
        hub,
        &maker.key,
        vec![
            event("ObjectEvent", 8, json!({"action": "ADD", "bizStep": "commissioning",
                "epcList": [item(1), item(2), item(3), item(4)], "readPoint": {"id": FACTORY}})),
            event("AggregationEvent", 9, json!({"action": "ADD", "bizStep": "packing",
                "parentID": case(1), "childEPCs": [item(1), item(2)], "readPoint": {"id": FACTORY},
                "destinationList": to(receiver)})),
            event("AggregationEvent", 9, json!({"action": "ADD", "bizStep": "packing",
                "parentID": case(2), "childEPCs": [item(3), item(4)], "readPoint": {"id": FACTORY}})),
            event("AggregationEvent", 10, json!({"action": "ADD", "bizStep": "loading",
                "parentID": pallet(1), "childEPCs": [case(1), case(2)], "readPoint": {"id": DOCK},
                "destinationList": to(receiver)})),
            event("ObjectEvent", 11, json!({"action": "OBSERVE", "bizStep": "shipping",
                "disposition": "in_transit", "epcList": [pallet(1)], "readPoint": {"id": DOCK},
                "destinationList": to(receiver)})),
        ],
    )
    .await
}

async fn get(hub: &TestHub, key: &str, path: &str) -> Reply {
    hub.get(path, Some(key)).await
}

async fn read_point(hub: &TestHub, key: &str, epc: &str) -> Option<String> {
    let reply = get(hub, key, &format!("/v1/trace/epcs/{epc}/location")).await;
    match reply.status.as_u16() {
        200 => reply.json()["location"]["readPoint"]
            .as_str()
            .map(str::to_owned),
        404 => None,
        status => panic!("{status}: {}", reply.text()),
    }
}

async fn steps(hub: &TestHub, key: &str, epc: &str) -> Vec<String> {
    let reply = get(hub, key, &format!("/v1/trace/epcs/{epc}/history")).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| match entry["via"].as_str() {
            Some(via) => format!("{} via {via}", entry["bizStep"].as_str().unwrap_or("-")),
            None => entry["bizStep"].as_str().unwrap_or("-").to_owned(),
        })
        .collect()
}

async fn contents(hub: &TestHub, key: &str, epc: &str, recursive: bool) -> Vec<String> {
    let path = format!("/v1/trace/epcs/{epc}/contents?recursive={recursive}");
    let reply = get(hub, key, &path).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    serde_json::from_value(reply.json()["contents"].clone()).expect("a list of EPCs")
}

async fn event_steps(hub: &TestHub, key: &str, query: &str) -> Vec<String> {
    let reply = get(hub, key, &format!("/v1/trace/events?{query}")).await;
    assert_eq!(reply.status, 200, "{query}: {}", reply.text());
    let body = reply.json();
    assert_eq!(body["type"], "EPCISQueryDocument");
    body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .expect("events")
        .iter()
        .map(|event| event["bizStep"].as_str().unwrap_or("-").to_owned())
        .collect()
}

#[tokio::test]
async fn a_pallet_is_packed_shipped_unpacked_and_traced() {
    let hub = TestHub::start().await;
    let maker = hub.member("Maker", &["application_provider"]).await;
    let shop = hub.member("Shop", &["application_provider"]).await;
    let captured = pack_and_ship(&hub, &maker, &shop).await;
    assert_eq!(captured["recorded"], 5);
    assert_eq!(captured["events"][0]["event_id"], "urn:jinka:event:1");
    assert_eq!(captured["events"][4]["outcome"], "recorded");

    let operator = hub.operator_key.clone();
    assert_eq!(contents(&hub, &operator, &pallet(1), true).await.len(), 6);
    assert_eq!(
        contents(&hub, &operator, &pallet(1), false).await,
        [case(1), case(2)]
    );
    assert_eq!(
        read_point(&hub, &maker.key, &item(3)).await.as_deref(),
        Some(DOCK)
    );

    // The shop receives, unloads (no children: all of them) and unpacks case 1.
    capture(
        &hub,
        &shop.key,
        vec![
            event(
                "ObjectEvent",
                16,
                json!({"action": "OBSERVE", "bizStep": "receiving",
                "epcList": [pallet(1)], "readPoint": {"id": WAREHOUSE},
                "bizLocation": {"id": WAREHOUSE}}),
            ),
            event(
                "AggregationEvent",
                17,
                json!({"action": "DELETE", "bizStep": "unloading",
                "parentID": pallet(1), "readPoint": {"id": WAREHOUSE}}),
            ),
            event(
                "AggregationEvent",
                18,
                json!({"action": "DELETE", "bizStep": "unpacking",
                "parentID": case(1), "childEPCs": [item(1)], "readPoint": {"id": WAREHOUSE}}),
            ),
        ],
    )
    .await;
    assert!(contents(&hub, &operator, &pallet(1), true).await.is_empty());
    assert_eq!(contents(&hub, &operator, &case(1), true).await, [item(2)]);
    assert_eq!(
        contents(&hub, &operator, &case(2), true).await,
        [item(3), item(4)]
    );
    assert_eq!(
        read_point(&hub, &operator, &item(4)).await.as_deref(),
        Some(WAREHOUSE),
        "its case came off the pallet at the warehouse"
    );
    // By the tag's EPC memory (filter 3) too.
    let by_hex = get(
        &hub,
        &operator,
        "/v1/trace/epcs/3074257BF7194E4000000001/location",
    )
    .await;
    assert_eq!(by_hex.status, 200, "{}", by_hex.text());
    assert_eq!(by_hex.json()["epc"], item(1));
    assert_eq!(
        steps(&hub, &operator, &item(1)).await,
        [
            "commissioning".to_owned(),
            "packing".to_owned(),
            format!("loading via {}", case(1)),
            format!("shipping via {}", pallet(1)),
            format!("receiving via {}", pallet(1)),
            format!("unloading via {}", case(1)),
            "unpacking".to_owned(),
        ]
    );

    // Who sees what: the maker does not see the shop's events, the shop sees what was
    // shipped to it; a stranger sees nothing.
    let stranger = hub.member("Stranger", &["application_provider"]).await;
    assert_eq!(
        steps(&hub, &maker.key, &item(1)).await,
        [
            "commissioning".to_owned(),
            "packing".to_owned(),
            format!("loading via {}", case(1)),
            format!("shipping via {}", pallet(1)),
        ]
    );
    assert_eq!(
        read_point(&hub, &maker.key, &item(4)).await.as_deref(),
        Some(DOCK)
    );
    assert_eq!(
        steps(&hub, &shop.key, &item(1)).await,
        [
            "packing".to_owned(),
            format!("loading via {}", case(1)),
            format!("shipping via {}", pallet(1)),
            format!("receiving via {}", pallet(1)),
            format!("unloading via {}", case(1)),
            "unpacking".to_owned(),
        ]
    );
    assert!(steps(&hub, &stranger.key, &item(1)).await.is_empty());
    assert_eq!(read_point(&hub, &stranger.key, &item(1)).await, None);
    assert!(
        contents(&hub, &stranger.key, &case(2), true)
            .await
            .is_empty()
    );
    assert_eq!(
        contents(&hub, &shop.key, &case(2), true).await,
        Vec::<String>::new(),
        "case 2's packing was not shared with the shop"
    );
}

#[tokio::test]
async fn the_event_query_filters_orders_and_pages() {
    let hub = TestHub::start().await;
    let maker = hub.member("Maker", &["application_provider"]).await;
    let shop = hub.member("Shop", &["application_provider"]).await;
    pack_and_ship(&hub, &maker, &shop).await;
    let key = maker.key.clone();
    assert_eq!(
        event_steps(&hub, &key, "orderDirection=ASC").await,
        ["commissioning", "packing", "packing", "loading", "shipping"]
    );
    assert_eq!(
        event_steps(&hub, &key, "").await,
        ["shipping", "loading", "packing", "packing", "commissioning"],
        "newest first by default"
    );
    assert_eq!(
        event_steps(
            &hub,
            &key,
            "eventType=AggregationEvent&EQ_bizStep=loading|shipping"
        )
        .await,
        ["loading"]
    );
    let time = "GE_eventTime=2026-03-02T09:00:00%2B08:00&LT_eventTime=2026-03-02T10:00:00%2B08:00";
    assert_eq!(event_steps(&hub, &key, time).await, ["packing", "packing"]);
    assert_eq!(
        event_steps(&hub, &key, "EQ_disposition=in_transit").await,
        ["shipping"]
    );
    assert_eq!(
        event_steps(&hub, &key, &format!("EQ_readPoint={DOCK}")).await,
        ["shipping", "loading"]
    );
    assert!(
        event_steps(&hub, &key, &format!("EQ_bizLocation={WAREHOUSE}"))
            .await
            .is_empty()
    );
    assert_eq!(
        event_steps(&hub, &key, &format!("MATCH_epc={}", item(3))).await,
        ["packing", "commissioning"]
    );
    assert_eq!(
        event_steps(&hub, &key, "MATCH_parentID=urn:epc:idpat:sscc:0614141.*").await,
        ["loading", "packing", "packing"]
    );
    assert_eq!(
        event_steps(&hub, &key, &format!("MATCH_anyEPC={}", pallet(1))).await,
        ["shipping", "loading"]
    );
    assert_eq!(
        event_steps(&hub, &key, "orderDirection=ASC&eventCountLimit=2").await,
        ["commissioning", "packing"]
    );
    // The shop sees only what was shared with it.
    assert_eq!(
        event_steps(&hub, &shop.key, "orderDirection=ASC").await,
        ["packing", "loading", "shipping"]
    );

    // Pages of two, following the Link header.
    let mut path = "/v1/trace/events?orderDirection=ASC&perPage=2".to_owned();
    let mut seen = Vec::new();
    for _ in 0..5 {
        let reply = get(&hub, &key, &path).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let events = reply.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"].clone();
        seen.extend(
            events
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["eventID"].as_str().unwrap().to_owned()),
        );
        let Some(link) = reply.headers.get("link") else {
            break;
        };
        let link = link.to_str().unwrap();
        let (target, relation) = link.split_once("; ").expect("a link");
        assert_eq!(relation, "rel=\"next\"");
        path = target.trim_matches(|c| c == '<' || c == '>').to_owned();
    }
    let expected: Vec<String> = (1..=5).map(|n| format!("urn:jinka:event:{n}")).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn bad_documents_and_queries_are_refused_with_a_reason() {
    let hub = TestHub::start().await;
    let maker = hub.member("Maker", &["application_provider"]).await;
    let key = Some(maker.key.as_str());
    // The second event names a GRAI: the document is refused whole, with its index.
    let refused = hub
        .post(
            "/v1/trace/capture",
            key,
            &document(vec![
                event(
                    "ObjectEvent",
                    8,
                    json!({"action": "ADD", "epcList": [item(1)]}),
                ),
                event(
                    "ObjectEvent",
                    9,
                    json!({"action": "ADD",
                    "epcList": ["urn:epc:id:grai:0614141.12345.400"]}),
                ),
            ]),
        )
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.error_code(), "invalid_document");
    let reason = refused.json()["reason"].as_str().unwrap().to_owned();
    assert!(
        reason.starts_with("event 1:") && reason.contains("grai"),
        "{reason}"
    );
    let refused = hub
        .post(
            "/v1/trace/capture",
            key,
            &document(vec![event(
                "AggregationEvent",
                9,
                json!({"action": "ADD", "childEPCs": [item(1)]}),
            )]),
        )
        .await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.json()["reason"]
            .as_str()
            .unwrap()
            .starts_with("event 0:")
    );
    assert!(
        event_steps(&hub, &maker.key, "").await.is_empty(),
        "nothing was stored"
    );

    let malformed = hub
        .post_raw("/v1/trace/capture", key, b"{\"type\": ".to_vec())
        .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.error_code(), "malformed_json");
    let not_json = hub
        .post_typed("/v1/trace/capture", key, "text/plain", b"{}".to_vec())
        .await;
    assert_eq!(not_json.status, 415);
    let oversized = vec![b' '; jinka_trace::DOCUMENT_BYTES_MAX + 1];
    let oversized = hub.post_raw("/v1/trace/capture", key, oversized).await;
    assert_eq!(oversized.status, 413);
    assert_eq!(oversized.error_code(), "body_too_large");
    let anonymous = hub
        .post("/v1/trace/capture", None, &document(Vec::new()))
        .await;
    assert_eq!(anonymous.status, 401);

    for query in [
        "EQ_bizstep=shipping",
        "perPage=0",
        "MATCH_epc=urn:epc:id:grai:1",
        "nextPageToken=zz",
    ] {
        let reply = get(&hub, &maker.key, &format!("/v1/trace/events?{query}")).await;
        assert_eq!(reply.status, 400, "{query}");
        assert_eq!(reply.error_code(), "invalid_query", "{query}");
    }
    for epc in ["not-an-epc", "urn:epc:id:grai:0614141.12345.400", "30"] {
        let reply = get(&hub, &maker.key, &format!("/v1/trace/epcs/{epc}/history")).await;
        assert_eq!(reply.status, 400, "{epc}");
        assert_eq!(reply.error_code(), "invalid_epc");
    }
    let unseen = get(
        &hub,
        &maker.key,
        &format!("/v1/trace/epcs/{}/location", item(9)),
    )
    .await;
    assert_eq!(unseen.status, 404);
    let bad = get(
        &hub,
        &maker.key,
        &format!("/v1/trace/epcs/{}/contents?deep=1", case(1)),
    )
    .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn an_event_id_is_its_capturers_and_a_capture_can_be_repeated() {
    let hub = TestHub::start().await;
    let maker = hub.member("Maker", &["application_provider"]).await;
    let rival = hub.member("Rival", &["application_provider"]).await;
    let events = vec![event(
        "ObjectEvent",
        8,
        json!({"action": "ADD", "eventID": "urn:uuid:1",
        "epcList": [item(1)], "readPoint": {"id": FACTORY}}),
    )];
    capture(&hub, &maker.key, events.clone()).await;
    let again = capture(&hub, &maker.key, events.clone()).await;
    assert_eq!(again["duplicates"], 1);
    assert_eq!(again["events"][0]["outcome"], "duplicate");
    let taken = hub
        .post("/v1/trace/capture", Some(&rival.key), &document(events))
        .await;
    assert_eq!(taken.status, 409);
    assert_eq!(taken.error_code(), "event_id_taken");
    assert!(
        taken.json()["reason"]
            .as_str()
            .unwrap()
            .starts_with("event 0:")
    );
    // An error declaration from the capturer marks the event corrected.
    let declared = capture(&hub, &maker.key, vec![event("ObjectEvent", 8, json!({"action": "ADD",
        "eventID": "urn:uuid:1", "epcList": [item(1)], "readPoint": {"id": FACTORY},
        "errorDeclaration": {"declarationTime": "2026-03-02T12:00:00Z", "reason": "did_not_occur"}}))])
    .await;
    assert_eq!(declared["declared"], 1);
    assert_eq!(read_point(&hub, &maker.key, &item(1)).await, None);
    let reply = get(
        &hub,
        &maker.key,
        "/v1/trace/events?EXISTS_errorDeclaration=",
    )
    .await;
    let events = reply.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"].clone();
    assert_eq!(events[0]["errorDeclaration"]["reason"], "did_not_occur");
}
