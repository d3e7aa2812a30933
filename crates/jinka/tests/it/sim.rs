//! `jinka sim`: a small run passes its audit and writes its report; flags are checked; the
//! same seed writes the same report.

use crate::{jinka, text};

fn report(dir: &std::path::Path, name: &str, extra: &[&str]) -> serde_json::Value {
    let path = dir.join(name);
    let path = path.to_str().unwrap();
    let mut args = vec![
        "sim", "--cards", "80", "--days", "2", "--cities", "2", "--seed", "11", "--report", path,
    ];
    args.extend_from_slice(extra);
    let output = jinka(&args);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let summary = text(&output.stdout);
    assert!(summary.contains("Audit passed"), "{summary}");
    assert!(summary.contains("PASS  money.per_card"), "{summary}");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_small_run_passes_its_audit_and_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let first = report(dir.path(), "first.json", &["--torn-rate", "0.05"]);
    assert_eq!(first["format"], "jinka-sim-report");
    assert_eq!(first["passed"], true);
    assert_eq!(first["config"]["cards"], 80);
    assert_eq!(first["config"]["fault_rates"]["torn"], 0.05);
    assert_eq!(
        first["replay"],
        "jinka sim --cards 80 --days 2 --cities 2 --seed 11 --torn-rate 0.05"
    );
    let audit = first["audit"].as_array().unwrap();
    assert!(audit.len() >= 15);
    assert!(
        audit.iter().all(|line| line["status"] == "pass"),
        "{audit:?}"
    );
    assert_eq!(first["windows"].as_array().unwrap().len(), 3);
    assert!(first["activity"]["transactions"].as_u64().unwrap() > 0);
    assert!(first["throughput"]["seconds"].as_f64().is_some());
    assert_eq!(first["days"].as_array().unwrap().len(), 2);
    assert_eq!(
        first["throughput"]["day_seconds"].as_array().unwrap().len(),
        2
    );
    assert_eq!(
        first["throughput"]["day_hub_seconds"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let money = &first["money"];
    assert_eq!(money["card_float_fen"], money["shadow_balances_fen"]);

    let mut again = report(dir.path(), "again.json", &["--torn-rate", "0.05"]);
    let mut first = first;
    first.as_object_mut().unwrap().remove("throughput");
    again.as_object_mut().unwrap().remove("throughput");
    assert_eq!(first, again);
}

#[test]
fn bad_flags_are_usage_errors() {
    for args in [
        &["sim", "--cards", "0"][..],
        &["sim", "--outings", "3"],
        &["sim", "--torn-rate", "2"],
        &["sim", "--clone-rate", "often"],
        &["sim", "--hub", "http://127.0.0.1:9"],
    ] {
        let output = jinka(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
}
