//! The card through the real PC/SC stack: pcscd, Debian's vsmartcard-vpcd driver and
//! `scriptor`, driven by `.ci/pcsc-test.sh`. Runs when `JINKA_PCSC_TEST=1` (CI sets it; the
//! script installs the Debian packages it needs with apt-get and starts pcscd).

use std::process::Command;

#[test]
fn scriptor_drives_a_card_served_over_vpcd() {
    if std::env::var("JINKA_PCSC_TEST").as_deref() != Ok("1") {
        eprintln!(
            "SKIPPED scriptor_drives_a_card_served_over_vpcd: set JINKA_PCSC_TEST=1 to run it against pcscd (needs root for apt-get, or pcscd, vsmartcard-vpcd and pcsc-tools installed)"
        );
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.ci/pcsc-test.sh");
    let output = Command::new("bash")
        .arg(script)
        .env("JINKA", env!("CARGO_BIN_EXE_jinka"))
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "pcsc-test failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("7 passed, 0 failed") || stdout.contains("7 passed, 0 failed"),
        "{stdout}\n{stderr}"
    );
}
