//! Velocity across regions: one card in two places closer in time than the trip takes.

use jinka_clearing::{Flags, Region};
use jinka_risk::{
    AcceptedRecord, Action, RecordId, RegionPair, RiskConfig, RiskSettings, Rule, Subject,
    VelocityRule,
};

use crate::support::*;

/// Two hours between any two regions; Suzhou and Shanghai are 30 minutes apart by train.
fn config() -> RiskConfig {
    RiskConfig::new(RiskSettings {
        velocity: VelocityRule {
            min_travel_minutes: 120,
            region_pairs: vec![RegionPair {
                regions: [SUZHOU.get(), SHANGHAI.get()],
                min_travel_minutes: 30,
            }],
            ..VelocityRule::default()
        },
        ..RiskSettings::default()
    })
    .unwrap()
}

#[test]
fn a_card_in_two_cities_within_the_travel_time_fires() {
    let mut hub = Harness::new(config());
    hub.ok(purchase(1, 0, 400).on(27, 8, 0), SHANGHAI, T0);
    hub.ok(purchase(1, 1, 400).on(27, 8, 45), BEIJING, T0 + MINUTE_MS);
    let fired = hub.take();
    assert_eq!(fired.len(), 1);
    let decision = &fired[0];
    assert_eq!(
        (decision.rule, decision.action, decision.subject),
        (Rule::Velocity, Action::Flag, Subject::Card(asn(1)))
    );
    assert_eq!(decision.evidence, ids(&[1, 2]));
    assert_eq!(
        decision.explanation,
        "Card 3104000000000001 was used in region 310000 at 2026-11-27 08:00:00 and in region \
         110000 at 2026-11-27 08:45:00, 45 minutes apart, less than the 2 hours travel between \
         them takes."
    );
}

#[test]
fn a_traveller_who_flies_between_cities_stays_quiet() {
    let mut hub = Harness::new(config());
    // Metro to the airport, a coffee there, the flight, a taxi ride paid by card in Beijing
    // four and a half hours after the coffee, and home the next evening.
    hub.ok(purchase(1, 0, 500).on(27, 6, 30).transit(), SHANGHAI, T0);
    hub.ok(purchase(1, 1, 3_500).on(27, 7, 30), SHANGHAI, T0);
    hub.ok(purchase(1, 2, 6_000).on(27, 12, 0), BEIJING, T0 + HOUR_MS);
    hub.ok(purchase(1, 3, 6_000).on(28, 16, 0), BEIJING, T0 + DAY_MS);
    hub.ok(
        purchase(1, 4, 500).on(28, 21, 0).transit(),
        SHANGHAI,
        T0 + DAY_MS,
    );
    assert_eq!(hub.take(), []);
}

#[test]
fn a_commuter_between_neighbouring_cities_is_judged_by_the_pairs_time() {
    let commute = |hub: &mut Harness| {
        hub.ok(purchase(1, 0, 400).on(27, 7, 0).transit(), SUZHOU, T0);
        hub.ok(purchase(1, 1, 400).on(27, 7, 50).transit(), SHANGHAI, T0);
        hub.ok(purchase(1, 2, 400).on(27, 18, 0).transit(), SHANGHAI, T0);
        hub.ok(purchase(1, 3, 400).on(27, 18, 45).transit(), SUZHOU, T0);
    };
    let mut hub = Harness::new(config());
    commute(&mut hub);
    assert_eq!(hub.take(), [], "50 and 45 minutes: more than the pair's 30");
    // Without the pair, the network's two hours would call the commute impossible.
    let settings = RiskSettings {
        velocity: VelocityRule {
            min_travel_minutes: 120,
            ..VelocityRule::default()
        },
        ..RiskSettings::default()
    };
    let mut hub = Harness::new(RiskConfig::new(settings).unwrap());
    commute(&mut hub);
    assert_eq!(hub.take().len(), 1);
}

#[test]
fn records_arriving_out_of_order_are_compared_by_their_own_times() {
    // No quiet period, so that every comparison shows.
    let mut settings = config().settings().clone();
    settings.repeat_quiet_minutes = 0;
    let mut hub = Harness::new(RiskConfig::new(settings).unwrap());
    // The Beijing terminal uploads first; the earlier Shanghai record comes later.
    hub.ok(purchase(1, 1, 400).on(27, 9, 0), BEIJING, T0);
    hub.ok(purchase(1, 0, 400).on(27, 8, 30), SHANGHAI, T0 + HOUR_MS);
    let fired = hub.take();
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].evidence, ids(&[2, 1]), "oldest sighting first");
    assert!(fired[0].explanation.contains("30 minutes apart"));
    // The later sighting (Beijing, 09:00) is kept: Shanghai at 10:30 is compared with it.
    hub.ok(purchase(1, 2, 400).on(27, 10, 30), SHANGHAI, T0 + HOUR_MS);
    let fired = hub.take();
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].evidence, ids(&[1, 3]));
}

#[test]
fn an_approved_load_is_a_sighting() {
    let mut hub = Harness::new(config());
    hub.load_approved(1, BEIJING, (date(27), time(8, 10)), T0);
    hub.ok(purchase(1, 0, 400).on(27, 8, 20), SHANGHAI, T0);
    let fired = hub.take();
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].evidence, ids(&[1, 2]));
}

#[test]
fn a_cloned_card_in_use_in_two_cities_gives_one_decision_per_episode() {
    let mut hub = Harness::new(config());
    let mut atc = 0;
    let mut episode = |hub: &mut Harness, day: u8, start_ms: i64| {
        for step in 0..12u8 {
            let region = if step % 2 == 0 { SHANGHAI } else { BEIJING };
            let tx = purchase(1, atc, 300).on(day, 9 + step / 2, 10 * (step % 2));
            atc += 1;
            hub.ok(tx, region, start_ms + i64::from(step) * 10 * MINUTE_MS);
        }
    };
    episode(&mut hub, 27, T0);
    assert_eq!(
        hub.take().len(),
        1,
        "one decision while the pattern goes on"
    );
    // Two days later (a lull longer than the day of quiet), it starts again.
    episode(&mut hub, 29, T0 + 2 * DAY_MS);
    assert_eq!(hub.take().len(), 1);
}

#[test]
fn a_record_of_an_unknown_region_and_a_pair_of_zero_are_passed_by() {
    let settings = RiskSettings {
        velocity: VelocityRule {
            region_pairs: vec![RegionPair {
                regions: [BEIJING.get(), Region::new(120_000).get()],
                min_travel_minutes: 0,
            }],
            ..VelocityRule::default()
        },
        ..RiskSettings::default()
    };
    let mut hub = Harness::new(RiskConfig::new(settings).unwrap());
    hub.ok(purchase(1, 0, 400).on(27, 8, 0), BEIJING, T0);
    hub.ok(purchase(1, 1, 400).on(27, 8, 1), Region::new(120_000), T0);
    let record = purchase(1, 2, 400).on(27, 8, 2).record();
    let accepted = AcceptedRecord {
        id: RecordId::new(99),
        record: &record,
        flags: Flags::NONE,
        region: None,
    };
    hub.risk.accepted(&accepted, T0, &mut hub.decisions);
    assert_eq!(hub.take(), []);
    hub.ok(purchase(1, 3, 400).on(27, 8, 3), SHANGHAI, T0);
    assert_eq!(
        hub.take().len(),
        1,
        "another region, at the network's 60 minutes"
    );
}
