//! Repeated bad TACs from one terminal: suspends it.

use jinka_clearing::RejectReason;
use jinka_risk::{Action, RiskDecision, Rule, Subject};

use crate::support::*;

#[test]
fn ten_bad_tacs_within_an_hour_suspend_the_terminal() {
    let mut hub = Harness::with_defaults();
    for n in 0..9 {
        hub.reject(7, RejectReason::BadTac, T0 + n * 5 * MINUTE_MS);
    }
    assert_eq!(hub.take(), []);
    hub.reject(7, RejectReason::BadTac, T0 + 59 * MINUTE_MS);
    let fired = hub.take();
    assert_eq!(fired.len(), 1);
    let decision = &fired[0];
    assert_eq!(
        (decision.rule, decision.action, decision.subject),
        (
            Rule::BadTac,
            Action::SuspendTerminal,
            Subject::Terminal(terminal(7))
        )
    );
    assert_eq!(decision.evidence, ids(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    assert_eq!(
        decision.explanation,
        "Terminal 002000000007 sent 10 records whose TAC did not verify within 59 minutes (the \
         rule allows fewer than 10 within 60 minutes): it may be forging records, or its SAM \
         signs with the wrong keys."
    );
}

#[test]
fn bad_tacs_spread_over_more_than_the_window_stay_quiet() {
    let mut hub = Harness::with_defaults();
    // One corrupted upload every 10 minutes: never 10 within an hour.
    for n in 0..30 {
        hub.reject(7, RejectReason::BadTac, T0 + n * 10 * MINUTE_MS);
    }
    assert_eq!(hub.take(), []);
}

#[test]
fn other_reasons_and_other_terminals_do_not_add_up() {
    let mut hub = Harness::with_defaults();
    for _ in 0..9 {
        hub.reject(7, RejectReason::BadTac, T0);
        hub.reject(8, RejectReason::BadTac, T0);
        hub.reject(7, RejectReason::Duplicate, T0);
        hub.reject(7, RejectReason::UnknownCard, T0);
    }
    assert_eq!(hub.take(), []);
    hub.reject(8, RejectReason::BadTac, T0);
    assert_eq!(hub.take()[0].subject, Subject::Terminal(terminal(8)));
}

#[test]
fn a_forging_terminal_is_suspended_once_per_episode() {
    let mut hub = Harness::with_defaults();
    for n in 0..50 {
        hub.reject(7, RejectReason::BadTac, T0 + n * MINUTE_MS);
    }
    assert_eq!(hub.take().len(), 1);
    // A day and an hour after the last one (the quiet time and the window), it starts again.
    let again = T0 + 49 * MINUTE_MS + DAY_MS + HOUR_MS;
    for n in 0..10 {
        hub.reject(7, RejectReason::BadTac, again + n * MINUTE_MS);
    }
    let fired = hub.take();
    assert_eq!(fired.len(), 1);
    assert_eq!(
        fired[0].evidence,
        ids(&[51, 52, 53, 54, 55, 56, 57, 58, 59, 60])
    );
}

#[test]
fn a_decision_serializes_with_its_codes() {
    let mut hub = Harness::with_defaults();
    for _ in 0..10 {
        hub.reject(7, RejectReason::BadTac, T0);
    }
    let decision = hub.take().remove(0);
    let json = serde_json::to_value(&decision).unwrap();
    assert_eq!(json["rule"], "bad_tac");
    assert_eq!(json["action"], "suspend_terminal");
    assert_eq!(
        json["subject"],
        serde_json::json!({"terminal": "002000000007"})
    );
    assert_eq!(
        json["evidence"],
        serde_json::json!([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    );
    assert_eq!(json["at_ms"], T0);
    let back: RiskDecision = serde_json::from_value(json).unwrap();
    assert_eq!(back, decision);
}
