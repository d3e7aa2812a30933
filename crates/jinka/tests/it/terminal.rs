//! `jinka sam new` and `jinka terminal` over card images: purchase, transit, load, history,
//! and refusals.

use crate::{jinka, text};

struct Shop {
    _dir: tempfile::TempDir,
    keys: String,
    card: String,
    sam: String,
}

fn shop() -> Shop {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (keys, card, sam) = (path("issuer.json"), path("card.jcard"), path("sam.json"));
    assert!(jinka(&["keys", "new", "--out", &keys]).status.success());
    assert!(
        jinka(&[
            "card",
            "new",
            "--keys",
            &keys,
            "--asn",
            "3104000000012345",
            "--out",
            &card
        ])
        .status
        .success()
    );
    let output = jinka(&[
        "sam",
        "new",
        "--keys",
        &keys,
        "--terminal-id",
        "000000002001",
        "--out",
        &sam,
    ]);
    assert!(output.status.success());
    assert!(
        text(&output.stderr).contains("unencrypted"),
        "a clear SAM file is warned about"
    );
    Shop {
        _dir: dir,
        keys,
        card,
        sam,
    }
}

fn terminal(shop: &Shop, args: &[&str]) -> std::process::Output {
    let mut all = vec!["terminal"];
    all.extend_from_slice(args);
    all.extend_from_slice(&[
        "--card",
        &shop.card,
        "--sam",
        &shop.sam,
        "--at",
        "20261127090000",
        "--json",
    ]);
    jinka(&all)
}

fn json(output: &std::process::Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&output.stdout)))
}

#[test]
fn a_load_a_purchase_and_a_metro_ride_from_the_command_line() {
    let shop = shop();
    let load = json(&terminal(
        &shop,
        &["load", "--amount", "50", "--authorizer", &shop.keys],
    ));
    assert_eq!(
        (load["type"].as_str(), load["amount"].as_u64()),
        (Some("load"), Some(5_000))
    );
    let purchase = json(&terminal(&shop, &["purchase", "--amount", "12.50"]));
    for field in [
        "asn",
        "type",
        "amount",
        "balance_before",
        "atc",
        "terminal_id",
        "terminal_serial",
        "date",
        "time",
        "key_version",
        "algorithm_id",
        "tac",
    ] {
        assert!(purchase.get(field).is_some(), "{field}");
    }
    assert_eq!(purchase["balance_before"], 5_000);
    assert_eq!(purchase["terminal_id"], "000000002001");
    let entry = json(&terminal(&shop, &["enter", "--station", "0"]));
    assert_eq!(
        (entry["type"].as_str(), entry["amount"].as_u64()),
        (Some("capp-purchase"), Some(0))
    );
    let exit = json(&terminal(&shop, &["exit", "--station", "4"]));
    assert_eq!(
        exit["amount"], 400,
        "12.5 km on the demonstration line: 3.00 + one started 10 km"
    );
    let balance = json(&terminal(&shop, &["balance"]));
    assert_eq!(balance["balance_fen"], 5_000 - 1_250 - 400);
    let history = json(&terminal(&shop, &["history"]));
    assert_eq!(history.as_array().unwrap().len(), 4);
    // The card image agrees.
    let view: serde_json::Value =
        serde_json::from_slice(&jinka(&["card", "show", &shop.card, "--json"]).stdout).unwrap();
    assert_eq!(view["applications"][0]["balance_fen"], 3_350);
}

#[test]
fn refusals_are_clear_and_change_nothing() {
    let shop = shop();
    let output = terminal(&shop, &["purchase", "--amount", "1"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("insufficient balance: 0 fen for 100 fen"),
        "{}",
        text(&output.stderr)
    );
    let output = terminal(&shop, &["purchase", "--amount", "1.005"]);
    assert_eq!(output.status.code(), Some(2));
    let output = terminal(&shop, &["load", "--amount", "5"]);
    assert!(
        text(&output.stderr).contains("--authorizer"),
        "{}",
        text(&output.stderr)
    );
    // A SAM of another issuer does not know the card.
    let other_keys = format!("{}.other", shop.keys);
    let other_sam = format!("{}.other", shop.sam);
    assert!(
        jinka(&[
            "keys",
            "new",
            "--issuer-id",
            "3104000000000002",
            "--out",
            &other_keys
        ])
        .status
        .success()
    );
    assert!(
        jinka(&[
            "sam",
            "new",
            "--keys",
            &other_keys,
            "--terminal-id",
            "000000002002",
            "--out",
            &other_sam
        ])
        .status
        .success()
    );
    json(&terminal(
        &shop,
        &["load", "--amount", "5", "--authorizer", &shop.keys],
    ));
    let output = jinka(&[
        "terminal", "purchase", "--amount", "1", "--card", &shop.card, "--sam", &other_sam,
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("SAM"),
        "{}",
        text(&output.stderr)
    );
    let balance = json(&terminal(&shop, &["balance"]));
    assert_eq!(balance["balance_fen"], 500);
}

#[test]
fn an_encrypted_sam_needs_its_key() {
    let shop = shop();
    let dir = tempfile::tempdir().unwrap();
    let kek = dir.path().join("kek");
    std::fs::write(&kek, "00112233445566778899AABBCCDDEEFF\n").unwrap();
    let sealed = dir.path().join("sealed.sam").to_str().unwrap().to_owned();
    let output = jinka(&[
        "sam",
        "new",
        "--keys",
        &shop.keys,
        "--terminal-id",
        "000000002003",
        "--out",
        &sealed,
        "--kek-file",
        kek.to_str().unwrap(),
    ]);
    assert!(output.status.success() && !text(&output.stderr).contains("unencrypted"));
    assert!(
        !std::fs::read_to_string(&sealed)
            .unwrap_or_default()
            .contains(&shop.keys)
    );
    let without = jinka(&[
        "terminal", "balance", "--card", &shop.card, "--sam", &sealed,
    ]);
    assert!(!without.status.success());
    let with = std::process::Command::new(env!("CARGO_BIN_EXE_jinka"))
        .args([
            "terminal", "balance", "--card", &shop.card, "--sam", &sealed, "--json",
        ])
        .env("JINKA_KEK", "00112233445566778899AABBCCDDEEFF")
        .output()
        .unwrap();
    assert_eq!(json(&with)["balance_fen"], 0);
}

#[test]
fn a_blacklisted_card_is_blocked_on_the_card() {
    let shop = shop();
    json(&terminal(
        &shop,
        &["load", "--amount", "5", "--authorizer", &shop.keys],
    ));
    let list = format!("{}.blacklist", shop.sam);
    std::fs::write(&list, "# lost cards\n3104000000012345\n").unwrap();
    let output = jinka(&[
        "terminal",
        "purchase",
        "--amount",
        "1",
        "--card",
        &shop.card,
        "--sam",
        &shop.sam,
        "--blacklist",
        &list,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("blacklisted (blocked on the card: true)"),
        "{}",
        text(&output.stderr)
    );
    // Without the list, the card itself now refuses.
    let output = terminal(&shop, &["purchase", "--amount", "1"]);
    assert!(
        text(&output.stderr).contains("blocked"),
        "{}",
        text(&output.stderr)
    );
    std::fs::write(&list, "not-an-asn\n").unwrap();
    let output = jinka(&[
        "terminal",
        "balance",
        "--card",
        &shop.card,
        "--sam",
        &shop.sam,
        "--blacklist",
        &list,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("line 1"),
        "{}",
        text(&output.stderr)
    );
}
