//! `jinka tag ingest`: raw reads into de-duplicated EPCIS events, written or captured at a
//! hub served by `jinka hub serve`.

use crate::hub::serve;
use crate::{jinka, text};

const FACTORY: &str = "urn:epc:id:sgln:0614141.00001.0";
const DOCK: &str = "urn:epc:id:sgln:0614141.00001.1";
const ITEM: &str = "urn:epc:id:sgtin:0614141.812345.6789";

/// Five reads: item 6789 twice and item 6790 once at antenna 1 in one window, 6789 at
/// antenna 2 (the dock) in it too, and 6789 at antenna 1 two windows later.
const READS: &str = "\
# epc_hex,read_point_or_antenna,time
3074257BF7194E4000001A85,1,2026-03-02T09:00:00.000Z
3074257BF7194E4000001A85,1,2026-03-02T09:00:01.000Z
3074257BF7194E4000001A86,,2026-03-02T09:00:02.000Z

3074257BF7194E4000001A85,2,2026-03-02T09:00:03.000Z
3074257BF7194E4000001A85,urn:epc:id:sgln:0614141.00001.0,2026-03-02T09:00:10.000Z
";

fn ingest(dir: &std::path::Path, reads: &str, extra: &[&str]) -> std::process::Output {
    let file = dir.join("reads.csv");
    std::fs::write(&file, reads).unwrap();
    let file = file.to_str().unwrap().to_owned();
    let mut args = vec![
        "tag",
        "ingest",
        &file,
        "--read-point",
        FACTORY,
        "--antenna",
        "2=urn:epc:id:sgln:0614141.00001.1",
        "--time-zone-offset",
        "+08:00",
    ];
    args.extend_from_slice(extra);
    jinka(&args)
}

#[test]
fn reads_become_one_event_per_read_point_and_window() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.json");
    let output = ingest(dir.path(), READS, &["--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("reads 5, repeated 1, late 0, events 3"),
        "{}",
        text(&output.stdout)
    );
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(document["type"], "EPCISDocument");
    let events = document["epcisBody"]["eventList"].as_array().unwrap();
    let summary: Vec<(String, usize, String)> = events
        .iter()
        .map(|event| {
            assert_eq!(event["type"], "ObjectEvent");
            assert_eq!(event["action"], "OBSERVE");
            assert_eq!(event["eventTimeZoneOffset"], "+08:00");
            assert!(event.get("eventID").is_none(), "the hub numbers them");
            (
                event["readPoint"]["id"].as_str().unwrap().to_owned(),
                event["epcList"].as_array().unwrap().len(),
                event["eventTime"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (FACTORY.to_owned(), 2, "2026-03-02T09:00:00.000Z".to_owned()),
            (DOCK.to_owned(), 1, "2026-03-02T09:00:03.000Z".to_owned()),
            (FACTORY.to_owned(), 1, "2026-03-02T09:00:10.000Z".to_owned()),
        ]
    );
    assert_eq!(events[0]["epcList"][0], ITEM);
}

#[test]
fn a_bad_line_is_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.json");
    for (reads, expected) in [
        (
            "3074257BF7194E4000001A85,1,2026-03-02T09:00:00Z\nzz,1,2026-03-02T09:00:00Z\n",
            ":2: EPC",
        ),
        ("3074257BF7194E4000001A85,1\n", ":1: expected epc_hex"),
        ("3074257BF7194E4000001A85,1,yesterday\n", ":1: time"),
        (
            "3074257BF7194E4000001A85,dock door,2026-03-02T09:00:00Z\n",
            ":1: \"dock door\"",
        ),
    ] {
        let output = ingest(dir.path(), reads, &["--out", out.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "{reads}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(&format!("reads.csv{expected}")), "{stderr}");
        assert!(!out.exists());
    }
    let output = jinka(&[
        "tag",
        "ingest",
        "-",
        "--read-point",
        "not a uri",
        "--out",
        "-",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let output = jinka(&["tag", "ingest", "-", "--read-point", FACTORY]);
    assert_eq!(output.status.code(), Some(2), "needs --hub or --out");
}

#[test]
fn reads_are_captured_at_the_hub_and_answer_where_an_item_is() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub").to_str().unwrap().to_owned();
    let ok = |args: &[&str]| {
        let output = jinka(args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            text(&output.stderr)
        );
        text(&output.stdout)
    };
    ok(&[
        "hub",
        "participant",
        "add",
        "--data",
        &data,
        "--name",
        "Operator",
        "--role",
        "operator",
    ]);
    ok(&[
        "hub",
        "participant",
        "add",
        "--data",
        &data,
        "--name",
        "Maker",
        "--role",
        "application_provider",
    ]);
    let key = ok(&[
        "hub",
        "credential",
        "new",
        "--data",
        &data,
        "--participant",
        "2",
    ])
    .trim()
    .to_owned();
    let hub = serve(&data);
    let sent = [
        "--hub",
        &hub.url,
        "--api-key",
        &key,
        "--event-id-prefix",
        "urn:jinka:reader:dock-1:",
    ];
    let output = ingest(dir.path(), READS, &sent);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("captured 3 events"),
        "{}",
        text(&output.stdout)
    );
    // Sent again (a retry): the same ids, so the hub keeps one copy.
    let again = ingest(dir.path(), READS, &sent);
    assert!(again.status.success(), "{}", text(&again.stderr));

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let get = |path: &str| -> serde_json::Value {
        let mut response = agent
            .get(format!("{}{path}", hub.url))
            .header("Authorization", &format!("Bearer {key}"))
            .call()
            .expect("the hub answers");
        assert_eq!(response.status().as_u16(), 200);
        serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
    };
    let location = get(&format!("/v1/trace/epcs/{ITEM}/location"));
    assert_eq!(location["location"]["readPoint"], FACTORY);
    assert_eq!(location["location"]["eventId"], "urn:jinka:reader:dock-1:3");
    let history = get(&format!("/v1/trace/epcs/{ITEM}/history"));
    assert_eq!(history["entries"].as_array().unwrap().len(), 3, "{history}");

    let refused = ingest(
        dir.path(),
        READS,
        &["--hub", &hub.url, "--api-key", "jinka_wrong"],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
}
