//! Daily offline spend: fires when a card's day passes the threshold, once per day.

use jinka_clearing::IssuerId;
use jinka_risk::{
    Action, CardAction, DailySpendRule, IssuerRules, RiskConfig, RiskSettings, Rule, Subject,
};

use crate::support::*;

#[test]
fn a_commuters_day_stays_quiet() {
    let mut hub = Harness::with_defaults();
    // Metro to work, coffee, lunch, groceries, metro home: 95.00 yuan, all in Shanghai.
    let day = [
        (7, 40, 400, true),
        (8, 35, 2_800, false),
        (12, 10, 4_200, false),
        (18, 5, 400, true),
        (18, 40, 1_700, false),
    ];
    for (atc, (hour, minute, amount_fen, metro)) in (0u16..).zip(day) {
        let tx = purchase(1, atc, amount_fen).on(27, hour, minute);
        let tx = if metro { tx.transit() } else { tx };
        hub.ok(tx, SHANGHAI, T0 + i64::from(atc) * HOUR_MS);
    }
    hub.tick(T0 + DAY_MS);
    assert_eq!(hub.take(), []);
}

#[test]
fn spending_past_the_threshold_fires_once_a_day() {
    let mut hub = Harness::with_defaults();
    // 300.00 yuan four times: 900.00 stays under the 1000.00 default, 1200.00 passes it.
    for atc in 0..3 {
        hub.ok(
            purchase(1, atc, 30_000).on(27, 9 + atc as u8, 0),
            SHANGHAI,
            T0,
        );
    }
    assert_eq!(hub.take(), []);
    hub.ok(
        purchase(1, 3, 30_000).on(27, 14, 0).transit(),
        SHANGHAI,
        T0 + MINUTE_MS,
    );
    let fired = hub.take();
    assert_eq!(fired.len(), 1);
    let decision = &fired[0];
    assert_eq!(decision.rule, Rule::DailySpend);
    assert_eq!(decision.action, Action::Flag);
    assert_eq!(decision.subject, Subject::Card(asn(1)));
    assert_eq!(decision.evidence, ids(&[1, 2, 3, 4]));
    assert_eq!(decision.at_ms, T0 + MINUTE_MS);
    assert_eq!(
        decision.explanation,
        "Card 3104000000000001 spent 1200.00 yuan offline on 2026-11-27 in 4 purchases, above \
         the daily limit of 1000.00 yuan."
    );
    // The same day again: no second decision.
    hub.ok(
        purchase(1, 4, 50_000).on(27, 16, 0),
        SHANGHAI,
        T0 + 2 * MINUTE_MS,
    );
    assert_eq!(hub.take(), []);
    // The next day starts from zero, and fires on its own.
    hub.ok(purchase(1, 5, 60_000).on(28, 9, 0), SHANGHAI, T0 + DAY_MS);
    assert_eq!(hub.take(), []);
    hub.ok(purchase(1, 6, 60_000).on(28, 10, 0), SHANGHAI, T0 + DAY_MS);
    let fired = hub.take();
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].evidence, ids(&[6, 7]));
    assert!(
        fired[0]
            .explanation
            .contains("on 2026-11-28 in 2 purchases")
    );
}

#[test]
fn the_threshold_itself_is_not_above_it_and_loads_do_not_count() {
    let mut hub = Harness::with_defaults();
    hub.ok(purchase(1, 0, 60_000), SHANGHAI, T0);
    hub.ok(load(1, 0, 90_000), SHANGHAI, T0);
    hub.ok(purchase(1, 1, 40_000), SHANGHAI, T0);
    assert_eq!(hub.take(), [], "1000.00 yuan exactly, the load aside");
    hub.ok(purchase(1, 2, 1), SHANGHAI, T0);
    assert_eq!(hub.take().len(), 1);
}

#[test]
fn evidence_keeps_the_latest_purchases() {
    let mut hub = Harness::with_defaults();
    for atc in 0..9 {
        hub.ok(purchase(1, atc, 12_000), SHANGHAI, T0);
    }
    let fired = hub.take();
    assert_eq!(fired.len(), 1, "9 × 120.00 = 1080.00");
    assert_eq!(fired[0].evidence, ids(&[6, 7, 8, 9]));
}

#[test]
fn yesterdays_late_records_still_count_but_older_days_are_gone() {
    let mut hub = Harness::with_defaults();
    hub.ok(purchase(1, 0, 80_000).on(27, 9, 0), SHANGHAI, T0);
    hub.ok(purchase(1, 1, 10_000).on(28, 9, 0), SHANGHAI, T0 + DAY_MS);
    // A terminal offline on the 27th uploads a day late: the 27th passes the threshold.
    hub.ok(purchase(1, 2, 30_000).on(27, 18, 0), SHANGHAI, T0 + DAY_MS);
    let fired = hub.take();
    assert_eq!(fired.len(), 1);
    assert!(fired[0].explanation.contains("2026-11-27"));
    // The 29th pushes the 27th out; a record of the 26th is older than both days kept and
    // is not summed (SPEND_DAYS_PER_CARD).
    hub.ok(
        purchase(1, 3, 10_000).on(29, 9, 0),
        SHANGHAI,
        T0 + 2 * DAY_MS,
    );
    hub.ok(
        purchase(1, 4, 200_000).on(26, 9, 0),
        SHANGHAI,
        T0 + 2 * DAY_MS,
    );
    assert_eq!(hub.take(), []);
}

#[test]
fn an_issuers_override_replaces_the_networks_rule_for_its_cards() {
    let mut strict = IssuerRules::new(IssuerId::new(ISSUER));
    strict.daily_spend = Some(DailySpendRule {
        enabled: true,
        threshold_fen: 20_000,
        action: CardAction::HotlistCard,
    });
    let mut lenient = IssuerRules::new(IssuerId::new(OTHER_ISSUER));
    lenient.daily_spend = Some(DailySpendRule {
        enabled: false,
        ..DailySpendRule::default()
    });
    let settings = RiskSettings {
        issuers: vec![strict, lenient],
        ..RiskSettings::default()
    };
    let mut hub = Harness::new(RiskConfig::new(settings).unwrap());
    // The strict issuer's card passes 200.00 yuan: hotlisted.
    hub.ok(purchase(1, 0, 25_000), SHANGHAI, T0);
    let fired = hub.take();
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].action, Action::HotlistCard);
    assert!(
        fired[0]
            .explanation
            .contains("the daily limit of 200.00 yuan")
    );
    // The lenient issuer's card spends 2000.00 yuan: its issuer turned the rule off.
    hub.ok(purchase(2, 0, 200_000).issuer(OTHER_ISSUER), SHANGHAI, T0);
    assert_eq!(hub.take(), []);
    // A third issuer's card has the network's rule.
    hub.ok(purchase(3, 0, 150_000).issuer([9; 8]), SHANGHAI, T0);
    let fired = hub.take();
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].action, Action::Flag);
}
