//! Bad input and faults: every refusal is a 4xx with a JSON reason, and changes nothing.

use std::sync::Arc;

use hyper::Method;
use jinka_hub::{EpochMs, FixedClock, REQUEST_BODY_BYTES_MAX};
use serde_json::json;

use crate::client::{Call, send};
use crate::test_hub::TestHub;

/// Terminals the operator sees.
async fn terminal_count(hub: &TestHub) -> usize {
    let reply = hub.get("/v1/terminals", Some(&hub.operator_key)).await;
    reply.json()["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn no_key_a_malformed_key_or_an_unknown_key_is_401() {
    let hub = TestHub::start().await;
    let unknown = format!("jinka_{}_{}", "00".repeat(8), "11".repeat(32));
    let mut forged = hub.operator_key.clone();
    forged.pop();
    forged.push(if hub.operator_key.ends_with('0') {
        '1'
    } else {
        '0'
    });
    for key in [
        None,
        Some("nonsense"),
        Some(unknown.as_str()),
        Some(forged.as_str()),
    ] {
        let reply = hub.get("/v1/participants", key).await;
        assert_eq!(reply.status, 401, "{key:?}");
        assert_eq!(reply.error_code(), "unauthorized");
        assert_eq!(reply.headers["www-authenticate"], "Bearer");
    }
    let reply = hub
        .post(
            "/v1/terminals",
            None,
            &json!({ "terminal_id": "000000000001", "owner": 1, "region": 1 }),
        )
        .await;
    assert_eq!(reply.status, 401);
    assert_eq!(terminal_count(&hub).await, 0);
}

#[tokio::test]
async fn malformed_json_and_wrong_types_are_400_with_a_reason() {
    let hub = TestHub::start().await;
    let metro = hub.member("Metro", &["acquirer"]).await;
    let key = Some(metro.key.as_str());
    let reply = hub
        .post_raw("/v1/terminals", key, b"{\"terminal_id\": \"0000".to_vec())
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), "malformed_json");
    assert!(reply.json()["reason"].as_str().unwrap().contains("line 1"));

    let cases = [
        (json!({ "terminal_id": 12, "region": 1 }), "invalid_request"),
        (
            json!({ "terminal_id": "000000000001", "region": -1 }),
            "invalid_request",
        ),
        (json!({ "terminal_id": "000000000001" }), "invalid_request"),
        (
            json!({ "terminal_id": "000000000001", "region": 1, "x": 1 }),
            "invalid_request",
        ),
        (
            json!({ "terminal_id": "0000000001", "region": 1 }),
            "invalid_field",
        ),
        (
            json!({ "terminal_id": "00000000000G", "region": 1 }),
            "invalid_field",
        ),
        (
            json!({ "terminal_id": "000000000001", "region": 1, "owner": 0 }),
            "invalid_field",
        ),
        (json!([1, 2]), "invalid_request"),
    ];
    for (body, code) in cases {
        let reply = hub.post("/v1/terminals", key, &body).await;
        assert_eq!(reply.status, 400, "{body}");
        assert_eq!(reply.error_code(), code, "{body}: {}", reply.text());
    }
    let reply = hub
        .post(
            "/v1/participants",
            Some(&hub.operator_key),
            &json!({ "name": "X", "roles": ["banker"], "region": 1 }),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.json()["reason"]
            .as_str()
            .unwrap()
            .starts_with("`roles`")
    );
    let reply = hub
        .get("/v1/participants/zero", Some(&hub.operator_key))
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(terminal_count(&hub).await, 0);
}

#[tokio::test]
async fn oversized_bodies_are_413_and_other_media_415() {
    let hub = TestHub::start().await;
    let metro = hub.member("Metro", &["acquirer"]).await;
    let mut body = br#"{"terminal_id": "000000000001", "region": 1, "pad": ""#.to_vec();
    body.resize(REQUEST_BODY_BYTES_MAX + 1024, b' ');
    body.extend_from_slice(b"\"}");
    let reply = hub.post_raw("/v1/terminals", Some(&metro.key), body).await;
    assert_eq!(reply.status, 413);
    assert_eq!(reply.error_code(), "body_too_large");

    let reply = send(
        hub.address,
        Call {
            method: Method::POST,
            path: "/v1/terminals",
            key: Some(&metro.key),
            content_type: Some("text/plain"),
            body: br#"{"terminal_id": "000000000001", "region": 1}"#.to_vec(),
        },
    )
    .await;
    assert_eq!(reply.status, 415);
    assert_eq!(reply.error_code(), "unsupported_media_type");
    assert_eq!(terminal_count(&hub).await, 0);
}

#[tokio::test]
async fn an_oversized_chunked_body_is_413_too() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let hub = TestHub::start().await;
    let metro = hub.member("Metro", &["acquirer"]).await;
    let mut stream = tokio::net::TcpStream::connect(hub.address).await.unwrap();
    let head = format!(
        "POST /v1/terminals HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        metro.key
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 8 * 1024];
    let mut sent = 0;
    while sent <= REQUEST_BODY_BYTES_MAX {
        let mut frame = format!("{:X}\r\n", chunk.len()).into_bytes();
        frame.extend_from_slice(&chunk);
        frame.extend_from_slice(b"\r\n");
        if stream.write_all(&frame).await.is_err() {
            break; // the hub stopped reading: its answer is waiting
        }
        sent += chunk.len();
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"error\":\"body_too_large\""), "{answer}");
    assert_eq!(terminal_count(&hub).await, 0);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let hub = TestHub::start().await;
    let reply = hub.get("/v2/anything", None).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.error_code(), "not_found");
    let reply = hub.post("/healthz", None, &json!({})).await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.error_code(), "method_not_allowed");
}

#[tokio::test]
async fn a_credential_past_its_burst_gets_429() {
    const BURST: u32 = 5;
    let clock = Arc::new(FixedClock::new(EpochMs::new(1_800_000_000_000)));
    let hub = TestHub::start_with(
        |config| config.limits.rate_burst_requests = BURST,
        Some(clock.clone()),
    )
    .await;
    let key = Some(hub.operator_key.as_str());
    for n in 0..BURST {
        assert_eq!(
            hub.get("/v1/participants", key).await.status,
            200,
            "request {n}"
        );
    }
    let reply = hub.get("/v1/participants", key).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.error_code(), "rate_limited");
    assert_eq!(reply.headers["retry-after"], "1");
    // Time refills the bucket (the default rate is far above one a second).
    clock.advance(1_000);
    assert_eq!(hub.get("/v1/participants", key).await.status, 200);
}
