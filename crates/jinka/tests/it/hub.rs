//! The network end to end from the command line: a hub served by `jinka hub serve`, a
//! terminal loading through it and uploading its records to it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::{jinka, text};

pub(crate) struct Hub {
    pub(crate) child: Child,
    pub(crate) url: String,
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn serve(data: &str) -> Hub {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jinka"))
        .args(["hub", "serve", "--data", data, "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("jinka hub serve starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the hub says where it listens")
            .expect("stderr is text");
        if let Some(url) = line.strip_prefix("hub listening on ") {
            break url.trim().to_owned();
        }
    };
    // Keep draining its log so the hub never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Hub { child, url }
}

fn ok(args: &[&str]) -> String {
    let output = jinka(args);
    assert!(
        output.status.success(),
        "jinka {args:?}: {}",
        text(&output.stderr)
    );
    text(&output.stdout)
}

#[test]
fn a_terminal_loads_through_the_hub_and_uploads_its_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (keys, card, sam, data) = (
        path("issuer.json"),
        path("card.jcard"),
        path("metro.sam"),
        path("hub"),
    );
    ok(&["keys", "new", "--out", &keys]);
    ok(&[
        "card",
        "new",
        "--keys",
        &keys,
        "--asn",
        "3104000000012345",
        "--out",
        &card,
    ]);
    ok(&[
        "sam",
        "new",
        "--keys",
        &keys,
        "--terminal-id",
        "000000002001",
        "--out",
        &sam,
    ]);
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
        "City Card",
        "--role",
        "issuer",
        "--interchange-bps",
        "50",
    ]);
    ok(&[
        "hub",
        "participant",
        "add",
        "--data",
        &data,
        "--name",
        "Metro",
        "--role",
        "acquirer",
        "--role",
        "load_agent",
        "--network-bps",
        "10",
    ]);
    ok(&[
        "hub", "keys", "add", "--data", &data, "--issuer", "2", "--keys", &keys,
    ]);
    ok(&[
        "hub", "card", "add", "--data", &data, "--card", &card, "--issuer", "2",
    ]);
    ok(&[
        "hub",
        "terminal",
        "add",
        "--data",
        &data,
        "--terminal-id",
        "000000002001",
        "--owner",
        "3",
    ]);
    let api_key = ok(&[
        "hub",
        "credential",
        "new",
        "--data",
        &data,
        "--participant",
        "3",
    ])
    .trim()
    .to_owned();
    let hub = serve(&data);
    let terminal = |args: &[&str]| {
        let mut all = vec!["terminal"];
        all.extend_from_slice(args);
        all.extend_from_slice(&[
            "--card",
            &card,
            "--sam",
            &sam,
            "--at",
            "20261127090000",
            "--api-key",
            &api_key,
            "--json",
        ]);
        jinka(&all)
    };
    // A load authorized online by the hub (MAC2 from it, TAC confirmed to it).
    let load = terminal(&["load", "--amount", "50", "--hub", &hub.url]);
    assert!(load.status.success(), "{}", text(&load.stderr));
    let purchase = terminal(&["purchase", "--amount", "12.50"]);
    assert!(purchase.status.success(), "{}", text(&purchase.stderr));
    // Upload: the purchase is accepted; the load's record duplicates its online confirmation.
    let upload = terminal(&["upload", "--hub", &hub.url]);
    assert!(upload.status.success(), "{}", text(&upload.stderr));
    let answer: serde_json::Value =
        serde_json::from_str(text(&upload.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(
        answer["accepted"].as_u64().unwrap() + answer["rejected"].as_u64().unwrap(),
        2,
        "{answer}"
    );
    assert!(answer["accepted"].as_u64().unwrap() >= 1, "{answer}");
    // Nothing is uploaded twice.
    let again = terminal(&["upload", "--hub", &hub.url]);
    assert!(again.status.success());
    assert!(
        text(&again.stdout).trim().is_empty() || text(&again.stdout).contains("nothing"),
        "{}",
        text(&again.stdout)
    );
    // A wrong key is refused with a reason, and nothing is lost: the records stay stored.
    let refused = jinka(&[
        "terminal",
        "load",
        "--amount",
        "1",
        "--hub",
        &hub.url,
        "--card",
        &card,
        "--sam",
        &sam,
        "--api-key",
        "jinka_0000000000000000_00",
    ]);
    assert!(!refused.status.success());

    // The operator closes the window from the command line, beside the serving hub: the
    // load (50 yuan, collected by Metro as load agent, owed to City Card's float) and the
    // purchase (12.50 yuan, owed by City Card to Metro, less fees) net out per participant.
    let closed = ok(&["hub", "window", "close", "--data", &data]);
    assert!(closed.starts_with("window 1: 2 transactions"), "{closed}");
    let positions = ok(&[
        "hub",
        "window",
        "report",
        "1",
        "--data",
        &data,
        "--format",
        "positions-csv",
    ]);
    let nets: Vec<i64> = positions
        .lines()
        .skip(1)
        .map(|line| line.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    assert_eq!(
        nets.iter().sum::<i64>(),
        0,
        "positions sum to zero: {positions}"
    );
    assert!(nets.iter().any(|net| *net != 0), "{positions}");
    let report: serde_json::Value = serde_json::from_str(&ok(&[
        "hub", "window", "report", "1", "--data", &data, "--format", "json",
    ]))
    .unwrap();
    assert_eq!(report["window_id"], 1, "{report}");
    let missing = jinka(&["hub", "window", "report", "9", "--data", &data]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing.stderr));
    assert!(text(&missing.stderr).contains("no closed settlement window 9"));
    let resolved = ok(&["hub", "loads", "resolve", "--data", &data]);
    assert_eq!(resolved.trim(), "0 posted, 0 voided, 0 not decided yet");

    // The serving hub logged the card's clearing columns; folded beside it, `cards` holds
    // them for SQL: 50 yuan loaded, 12.50 spent.
    let database = dir.path().join("hub").join(jinka_hub::DATABASE_FILE_NAME);
    let shadow = || -> i64 {
        rusqlite::Connection::open(&database)
            .unwrap()
            .query_row("SELECT shadow_balance_fen FROM cards", [], |row| row.get(0))
            .unwrap()
    };
    assert_eq!(shadow(), 0);
    let folded = ok(&["hub", "card", "fold-log", "--data", &data]);
    assert!(
        folded.starts_with("1 cards' clearing columns written"),
        "{folded}"
    );
    assert_eq!(shadow(), 3_750);
    let again = ok(&["hub", "card", "fold-log", "--data", &data]);
    assert!(again.starts_with("0 cards'"), "{again}");
    let nowhere = path("nowhere");
    let missing = jinka(&["hub", "card", "fold-log", "--data", &nowhere]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing.stderr));
    assert!(text(&missing.stderr).contains("no hub database there"));
    assert!(!dir.path().join("nowhere").exists());
}
