//! The server itself: port 0, health, metrics, the OpenAPI document, restarts.

use serde_json::json;

use crate::test_hub::TestHub;

#[tokio::test]
async fn port_zero_binds_a_real_port_and_health_answers() {
    let hub = TestHub::start().await;
    assert_ne!(hub.address.port(), 0);
    let reply = hub.get("/healthz", None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({ "status": "ok" }));
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let hub = TestHub::start().await;
    hub.get("/healthz", None).await;
    hub.get("/healthz", None).await;
    hub.get("/v1/terminals", None).await; // 401
    hub.get("/v1/terminals/A1B2C3D4E5F6", Some(&hub.operator_key))
        .await; // 404
    hub.get("/nowhere", None).await;
    let reply = hub.get("/metrics", None).await;
    assert_eq!(reply.status, 200);
    let content_type = reply.headers["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/plain; version=0.0.4"));
    let text = reply.text();
    assert!(text.contains("# TYPE jinka_hub_http_requests_total counter"));
    for line in [
        r#"jinka_hub_http_requests_total{method="GET",route="/healthz",status="200"} 2"#,
        r#"jinka_hub_http_requests_total{method="GET",route="/v1/terminals",status="401"} 1"#,
        r#"jinka_hub_http_requests_total{method="GET",route="/v1/terminals/{terminal_id}",status="404"} 1"#,
        r#"jinka_hub_http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
    }
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let hub = TestHub::start().await;
    let reply = hub.get("/v1/openapi.json", None).await;
    assert_eq!(reply.status, 200);
    let document = reply.json();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = &document["paths"];
    for (method, path) in [
        ("get", "/healthz"),
        ("get", "/metrics"),
        ("get", "/v1/openapi.json"),
        ("post", "/v1/participants"),
        ("get", "/v1/participants"),
        ("get", "/v1/participants/{id}"),
        ("post", "/v1/participants/{id}/credentials"),
        ("post", "/v1/terminals"),
        ("get", "/v1/terminals"),
        ("get", "/v1/terminals/{terminal_id}"),
        ("post", "/v1/cards"),
        ("get", "/v1/cards"),
        ("get", "/v1/cards/{asn}"),
        ("post", "/v1/issuers/{id}/keys"),
        ("get", "/v1/issuers/{id}/keys"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path} missing");
    }
}

#[tokio::test]
async fn a_restart_keeps_the_registry() {
    let mut hub = TestHub::start().await;
    let acquirer = hub.member("Metro acquiring", &["acquirer"]).await;
    let reply = hub
        .post(
            "/v1/terminals",
            Some(&acquirer.key),
            &json!({ "terminal_id": "A1B2C3D4E5F6", "region": 310000 }),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let before = hub.address;
    hub.stop().await;
    assert!(hub.get_fails(before).await, "the server still answers");
    hub.serve(None).await.unwrap();
    let reply = hub
        .get("/v1/terminals/A1B2C3D4E5F6", Some(&acquirer.key))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["owner"], acquirer.id);
    let reply = hub
        .get(
            &format!("/v1/participants/{}", acquirer.id),
            Some(&hub.operator_key),
        )
        .await;
    assert_eq!(reply.json()["name"], "Metro acquiring");
}

impl TestHub {
    /// Whether connecting to `address` fails (the server is gone).
    async fn get_fails(&self, address: std::net::SocketAddr) -> bool {
        tokio::net::TcpStream::connect(address).await.is_err()
    }
}
