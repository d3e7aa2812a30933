//! Risk control and the blacklist from the command line: the operator hotlists a card on the
//! data directory beside a serving hub, a terminal syncs its blacklist file from the hub and
//! then blocks the card on the card itself.

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

#[test]
fn a_card_hotlisted_at_the_hub_is_blocked_by_a_terminal_that_synced_its_blacklist() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (keys, card, sam, data, list) = (
        path("issuer.json"),
        path("card.jcard"),
        path("metro.sam"),
        path("hub"),
        path("metro.blacklist"),
    );
    let asn = "3104000000012345";
    ok(&["keys", "new", "--out", &keys]);
    ok(&["card", "new", "--keys", &keys, "--asn", asn, "--out", &card]);
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
    for (name, role) in [
        ("Operator", "operator"),
        ("City Card", "issuer"),
        ("Metro", "acquirer"),
    ] {
        ok(&[
            "hub",
            "participant",
            "add",
            "--data",
            &data,
            "--name",
            name,
            "--role",
            role,
        ]);
    }
    ok(&[
        "hub", "card", "add", "--data", &data, "--card", &card, "--issuer", "2",
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
    let sync = || {
        ok(&[
            "terminal",
            "blacklist-sync",
            "--hub",
            &hub.url,
            "--api-key",
            &api_key,
            "--blacklist",
            &list,
        ])
    };
    // Nothing listed yet: the file is written at version 0.
    sync();
    assert_eq!(std::fs::read_to_string(&list).unwrap(), "# version 0\n");

    // The operator hotlists the card on the data directory, beside the serving hub.
    let changed: serde_json::Value = serde_json::from_str(&ok(&[
        "hub",
        "blacklist",
        "add",
        asn,
        "--reason",
        "lost",
        "--data",
        &data,
    ]))
    .unwrap();
    assert_eq!(changed["version"], 1);
    assert!(ok(&["hub", "blacklist", "show", "--data", &data]).contains(asn));
    // An issuer may not hotlist another issuer's card (it has none: not found).
    let other = jinka(&[
        "hub",
        "blacklist",
        "remove",
        asn,
        "--issuer",
        "3",
        "--data",
        &data,
    ]);
    assert!(!other.status.success());

    // The terminal syncs: the hub's delta since version 0 lists the card.
    let said = sync();
    assert!(said.contains("version 0 -> 1"), "{said}");
    assert_eq!(
        std::fs::read_to_string(&list).unwrap(),
        format!("# version 1\n{asn}\n")
    );
    // Synced again: up to date, nothing changes.
    sync();
    assert_eq!(
        std::fs::read_to_string(&list).unwrap(),
        format!("# version 1\n{asn}\n")
    );
    // The terminal blocks the card on the card.
    let output = jinka(&[
        "terminal",
        "purchase",
        "--amount",
        "1",
        "--card",
        &card,
        "--sam",
        &sam,
        "--blacklist",
        &list,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("blacklisted (blocked on the card: true)"),
        "{}",
        text(&output.stderr)
    );

    // The rules' configuration: shown, refused with the reason, set.
    assert!(ok(&["hub", "risk", "config", "show", "--data", &data]).contains("\"bad_tac\""));
    let rules = path("rules.json");
    std::fs::write(&rules, r#"{"bad_tac": {"count": 0}}"#).unwrap();
    let refused = jinka(&["hub", "risk", "config", "set", &rules, "--data", &data]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("bad_tac.count"),
        "{}",
        text(&refused.stderr)
    );
    std::fs::write(&rules, r#"{"bad_tac": {"count": 5}}"#).unwrap();
    assert!(
        ok(&["hub", "risk", "config", "set", &rules, "--data", &data]).contains("\"count\": 5")
    );
    assert_eq!(
        ok(&["hub", "risk", "decisions", "--data", &data]).trim(),
        "no decisions"
    );
    // Reinstating a terminal the hub does not know is refused, naming it; a bad id too.
    let unknown = jinka(&[
        "hub",
        "terminal",
        "reinstate",
        "000000002001",
        "--data",
        &data,
    ]);
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("no terminal 000000002001"),
        "{}",
        text(&unknown.stderr)
    );
    let bad = jinka(&["hub", "terminal", "reinstate", "00002001", "--data", &data]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
    drop(hub);
}
