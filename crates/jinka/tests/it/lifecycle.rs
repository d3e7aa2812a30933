//! The card's life from the command line: a department's application added to an issued card
//! (asked over HTTP, consented by the issuer, run on the card by `jinka terminal run-script`),
//! then the card replaced and completed with `jinka hub card`.

use serde_json::{Value, json};

use crate::hub::serve;
use crate::{jinka, text};

fn ok(args: &[&str]) -> String {
    let output = jinka(args);
    assert!(
        output.status.success(),
        "jinka {args:?}: {}",
        text(&output.stderr)
    );
    text(&output.stdout)
}

fn post(url: &str, key: &str, body: &Value) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .post(url)
        .header("Authorization", &format!("Bearer {key}"))
        .send_json(body)
        .expect("the hub answers");
    let status = response.status().as_u16();
    let answer = response.body_mut().read_json().expect("JSON");
    (status, answer)
}

fn participant(data: &str, name: &str, role: &str) {
    ok(&[
        "hub",
        "participant",
        "add",
        "--data",
        data,
        "--name",
        name,
        "--role",
        role,
    ]);
}

fn credential(data: &str, participant: &str) -> String {
    ok(&[
        "hub",
        "credential",
        "new",
        "--data",
        data,
        "--participant",
        participant,
    ])
    .trim()
    .to_owned()
}

#[test]
fn an_application_is_added_by_a_terminal_script_and_a_card_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (keys, bureau_keys, card, new_card, data) = (
        path("issuer.json"),
        path("bureau.json"),
        path("card.jcard"),
        path("new.jcard"),
        path("hub"),
    );
    ok(&["keys", "new", "--out", &keys]);
    ok(&[
        "keys",
        "new",
        "--issuer-id",
        "3104000000000009",
        "--out",
        &bureau_keys,
    ]);
    for (asn, out) in [("3104000000012345", &card), ("3104000000012346", &new_card)] {
        ok(&["card", "new", "--keys", &keys, "--asn", asn, "--out", out]);
    }
    participant(&data, "Operator", "operator");
    participant(&data, "City Card", "issuer");
    participant(&data, "Social Security Bureau", "application_provider");
    ok(&[
        "hub", "keys", "add", "--data", &data, "--issuer", "2", "--keys", &keys,
    ]);
    for image in [&card, &new_card] {
        ok(&[
            "hub", "card", "add", "--data", &data, "--card", image, "--issuer", "2",
        ]);
    }
    let (issuer_key, bureau_key) = (credential(&data, "2"), credential(&data, "3"));
    let hub = serve(&data);

    let department: Value =
        serde_json::from_str(&std::fs::read_to_string(&bureau_keys).unwrap()).unwrap();
    let (status, operation) = post(
        &format!("{}/v1/cards/3104000000012345/applications", hub.url),
        &bureau_key,
        &json!({ "action": "add", "template": "social-security", "keys": department,
                 "start_date": "20261101", "expiry_date": "20361231" }),
    );
    assert_eq!(status, 201, "{operation}");
    let id = operation["id"].to_string();
    let run_script = || {
        jinka(&[
            "terminal",
            "run-script",
            "--card",
            &card,
            "--hub",
            &hub.url,
            "--api-key",
            &bureau_key,
            "--operation",
            &id,
        ])
    };
    // Not before the issuer consents.
    let early = run_script();
    assert!(!early.status.success());
    assert!(
        text(&early.stderr).contains("awaiting_consent"),
        "{}",
        text(&early.stderr)
    );
    let (status, _) = post(
        &format!("{}/v1/card-operations/{id}/consent", hub.url),
        &issuer_key,
        &json!({}),
    );
    assert_eq!(status, 200);
    let ran = run_script();
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    assert!(
        text(&ran.stdout).contains("completed"),
        "{}",
        text(&ran.stdout)
    );
    let view: Value = serde_json::from_str(&ok(&["card", "show", &card, "--json"])).unwrap();
    let kinds: Vec<&str> = view["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|app| app["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["e-purse", "social-security"]);

    // The card replaced by the second one, completed by the operator from the data directory.
    let replaced = ok(&[
        "hub",
        "card",
        "replace",
        "3104000000012345",
        "--new",
        "3104000000012346",
        "--data",
        &data,
    ]);
    let replaced: Value = serde_json::from_str(&replaced).unwrap();
    assert_eq!(replaced["state"], "pending");
    let completed = ok(&[
        "hub",
        "card",
        "complete",
        &replaced["id"].to_string(),
        "--data",
        &data,
    ]);
    assert!(completed.contains(r#""state":"completed""#), "{completed}");
    let listed: Value = serde_json::from_str(&ok(&[
        "hub",
        "card",
        "operations",
        "--json",
        "--data",
        &data,
    ]))
    .unwrap();
    let kinds: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|operation| operation["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["add_application", "replace"]);
    let table = ok(&["hub", "card", "operations", "--data", &data]);
    assert_eq!(table.lines().count(), 3, "{table}");
    let bad = jinka(&["hub", "card", "lost", "31040000", "--data", &data]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
}
