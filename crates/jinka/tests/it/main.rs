//! The `jinka` binary, black-box: files in a temporary directory, exit codes, output.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod hub;
mod hub_kill;
mod lifecycle;
mod pcsc;
mod risk;
mod sim;
mod tag;
mod terminal;

pub fn jinka(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jinka"))
        .args(args)
        .output()
        .expect("jinka runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn issue_card(dir: &Path, extra: &[&str]) -> (String, String) {
    let keys = dir.join("issuer.json").to_str().unwrap().to_owned();
    let card = dir.join("card.jcard").to_str().unwrap().to_owned();
    assert!(
        jinka(&["keys", "new", "--profile", "des3", "--out", &keys])
            .status
            .success()
    );
    let mut args = vec![
        "card",
        "new",
        "--keys",
        &keys,
        "--asn",
        "3104000000012345",
        "--out",
        &card,
    ];
    args.extend_from_slice(extra);
    let output = jinka(&args);
    assert!(output.status.success(), "{}", text(&output.stderr));
    (keys, card)
}

#[test]
fn keys_and_cards_are_private_files_and_keys_never_print() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, card) = issue_card(
        dir.path(),
        &["--app", "social-security", "--app", "access-control"],
    );
    #[cfg(unix)]
    for path in [&keys, &card] {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(path).unwrap().permissions().mode() & 0o777,
            0o600,
            "{path}"
        );
    }
    let key_set: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&keys).unwrap()).unwrap();
    for field in [
        "profile",
        "key_version",
        "purchase",
        "load",
        "tac",
        "card_manager",
    ] {
        assert!(key_set.get(field).is_some(), "{field}");
    }
    let show = jinka(&["card", "show", &card, "--json"]);
    assert!(show.status.success());
    let view: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    let kinds: Vec<_> = view["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["e-purse", "social-security", "access-control"]);
    assert_eq!(view["applications"][0]["aid"], "D1560000010101");
    assert_eq!(view["applications"][0]["balance_fen"], 0);
    let table = text(&jinka(&["card", "show", &card]).stdout);
    assert!(
        table.contains("JINKA E-PURSE") && table.contains("0.00"),
        "{table}"
    );
    for key in ["purchase", "load", "tac", "card_manager", "maintenance"] {
        let hex = key_set[key].as_str().unwrap();
        assert!(
            !text(&show.stdout).contains(hex) && !table.contains(hex),
            "{key} printed"
        );
    }
}

#[test]
fn apdus_from_arguments_and_from_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let (_, card) = issue_card(dir.path(), &[]);
    let output = jinka(&[
        "card",
        "apdu",
        &card,
        "00A4040007D1560000010101",
        "80 5C 00 02 04",
        "00B201C417",
    ]);
    assert!(output.status.success());
    let lines: Vec<_> = text(&output.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].ends_with("9000"));
    assert_eq!(lines[1], "000000009000");
    assert_eq!(lines[2], "6A83");
    // Standard input: one APDU per line, each answered before the next is read.
    let mut child = Command::new(env!("CARGO_BIN_EXE_jinka"))
        .args(["card", "apdu", &card])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    stdin.write_all(b"00A4040007D1560000010101\n").unwrap();
    stdin.flush().unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert!(
        first.trim_end().ends_with("9000"),
        "answered before the next line is written: {first}"
    );
    stdin.write_all(b"# a comment\n\n805C000204\n").unwrap();
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(rest, "000000009000\n");
    assert!(child.wait().unwrap().success());
}

#[test]
fn bad_input_is_refused_with_a_reason_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, card) = issue_card(dir.path(), &[]);
    let before = std::fs::read(&card).unwrap();
    let output = jinka(&["card", "apdu", &card, "00A4040007D1560000010101", "not-hex"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("APDU 2 (not-hex): not hex"));
    assert!(output.stdout.is_empty(), "nothing was sent");
    assert_eq!(std::fs::read(&card).unwrap(), before);
    // Corrupt and foreign files name themselves.
    let corrupt = dir.path().join("corrupt.jcard");
    let mut bytes = before.clone();
    let last = bytes.len() - 5;
    bytes[last] ^= 1;
    std::fs::write(&corrupt, &bytes).unwrap();
    let output = jinka(&["card", "show", corrupt.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("corrupt.jcard: card image is corrupt"),
        "{}",
        text(&output.stderr)
    );
    let output = jinka(&["card", "show", &keys]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("issuer.json: not a jinka card image"));
    let output = jinka(&[
        "card",
        "new",
        "--keys",
        &card,
        "--asn",
        "3104000000012345",
        "--out",
        "/dev/null/x",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("card.jcard: not an issuer key set"),
        "{}",
        text(&output.stderr)
    );
    let output = jinka(&["card", "new", "--keys", &keys, "--asn", "12", "--out", "x"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--asn 12: must be 16 hex digits"));
    let output = jinka(&["keys", "new", "--profile", "aes", "--out", "x"]);
    assert_eq!(output.status.code(), Some(2));
    let missing = jinka(&["card", "show", dir.path().join("missing").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("missing"));
}

#[test]
fn a_state_change_is_saved_and_a_read_leaves_the_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (_, card) = issue_card(dir.path(), &["--app", "social-security"]);
    let before = std::fs::read(&card).unwrap();
    assert!(
        jinka(&[
            "card",
            "apdu",
            &card,
            "00A4040007D1560000010101",
            "805C000204"
        ])
        .status
        .success()
    );
    assert_eq!(
        std::fs::read(&card).unwrap(),
        before,
        "reads do not rewrite the image"
    );
    // A wrong PIN is a state change (the try counter), kept across sessions.
    let output = jinka(&[
        "card",
        "apdu",
        &card,
        "00A4040007D1560000010201",
        "0020000003000000",
    ]);
    assert_eq!(text(&output.stdout).lines().nth(1), Some("63C2"));
    let output = jinka(&[
        "card",
        "apdu",
        &card,
        "00A4040007D1560000010201",
        "0020000000",
    ]);
    assert_eq!(text(&output.stdout).lines().nth(1), Some("63C2"));
}

#[test]
fn the_demo_runs_and_its_card_shows_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let card = dir.path().join("demo.jcard");
    for profile in ["sm4", "des3"] {
        let path = dir.path().join(format!("{profile}.jcard"));
        let output = jinka(&[
            "demo",
            "--profile",
            profile,
            "--card",
            path.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert!(text(&output.stdout).contains("balance 84.50 yuan: every MAC and TAC verified"));
        std::fs::copy(&path, &card).unwrap();
    }
    let view: serde_json::Value =
        serde_json::from_slice(&jinka(&["card", "show", card.to_str().unwrap(), "--json"]).stdout)
            .unwrap();
    let log = view["applications"][0]["log"].as_array().unwrap();
    let kinds: Vec<_> = log.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["capp-purchase", "capp-purchase", "purchase", "load"]
    );
    assert_eq!(view["applications"][0]["balance_fen"], 8_450);
}

#[test]
fn tags_decode_from_any_form_into_all() {
    let output = jinka(&[
        "tag",
        "urn:epc:tag:sgtin-96:3.0614141.812345.6789",
        "--json",
    ]);
    assert!(output.status.success());
    let forms: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(forms["hex"], "3074257BF7194E4000001A85");
    assert_eq!(
        forms["digital_link"],
        "https://id.gs1.org/01/80614141123458/21/6789"
    );
    let back = jinka(&["tag", "3074257BF7194E4000001A85", "--json"]);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&back.stdout).unwrap(),
        forms
    );
    let bad = jinka(&[
        "tag",
        "https://id.gs1.org/01/80614141123457/21/6789",
        "--company-prefix-digits",
        "7",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("80614141123457"),
        "the refusal names the input"
    );
    assert_eq!(jinka(&["tag", "30"]).status.code(), Some(2));
}
