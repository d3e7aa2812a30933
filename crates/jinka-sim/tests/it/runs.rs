//! Whole runs: the audit passes, faults included; the same seed gives the same report; a
//! card whose money was tampered with fails the audit.

use jinka_sim::{Fault, Rate, Status};

use crate::support::{config, run, run_with};

#[test]
fn a_small_run_passes_its_audit_and_exercises_the_network() {
    let outcome = run(config(300, 2, 2, 1));
    assert!(outcome.audit.passed(), "{}", outcome.audit.table());
    let activity = &outcome.tally.activity;
    assert!(activity.purchases > 0 && activity.transit_exits > 0 && activity.loads > 0);
    assert!(activity.loads_confirmed_online > 0);
    assert_eq!(activity.records_made, activity.transactions);
    assert!(activity.social_security_added > 0);
    assert_eq!(outcome.windows.len(), 3);
    // The days' shares add up to the run's transactions and loads (the drain adds none).
    let days = &outcome.tally.days;
    assert_eq!(days.len(), 2);
    let sum = |field: fn(&jinka_sim::DayActivity) -> u64| days.iter().map(field).sum::<u64>();
    assert_eq!(sum(|day| day.transactions), activity.transactions);
    assert_eq!(sum(|day| day.loads), activity.loads);
    assert!(days.iter().all(|day| day.transactions > 0));
    assert!(sum(|day| day.records_uploaded) <= activity.records_uploaded);
    assert!(
        outcome
            .audit
            .lines
            .iter()
            .all(|line| line.status == Status::Pass)
    );
}

#[test]
fn outings_add_trips_and_purchases_that_still_balance() {
    let habits = run(config(300, 1, 2, 4));
    let mut busier = config(300, 1, 2, 4);
    busier.outings = 2;
    let outcome = run(busier);
    assert!(outcome.audit.passed(), "{}", outcome.audit.table());
    let (before, after) = (&habits.tally.activity, &outcome.tally.activity);
    // Two outings a day: about four transactions each on top of about five.
    assert!(
        after.transactions > 2 * before.transactions,
        "{} transactions with outings, {} without",
        after.transactions,
        before.transactions
    );
    assert!(after.transit_entries > before.transit_entries);
    assert!(after.purchases > before.purchases);
    assert!(after.transit_exits > before.transit_exits);
    assert!(
        outcome.report()["replay"]
            .as_str()
            .unwrap()
            .contains("--outings 2")
    );
}

#[test]
fn the_same_seed_gives_the_same_report() {
    let first = run(config(120, 2, 2, 42)).report();
    let again = run(config(120, 2, 2, 42)).report();
    assert_eq!(first, again);
    let other = run(config(120, 2, 2, 43)).report();
    assert_ne!(first["activity"], other["activity"]);
}

#[test]
fn every_fault_turned_up_for_several_seeds_still_balances() {
    for seed in [2, 3, 5] {
        let mut config = config(150, 3, 2, seed);
        for (fault, ppm) in [
            (Fault::Torn, 50_000),
            (Fault::Offline, 200_000),
            (Fault::Duplicate, 300_000),
            (Fault::Corrupt, 20_000),
            (Fault::Clone, 30_000),
            (Fault::Lost, 20_000),
            (Fault::Restart, 100_000),
            (Fault::MissingKey, 400_000),
        ] {
            config.faults.set(fault, Rate::ppm(ppm));
        }
        let outcome = run(config.clone());
        let faults = &outcome.tally.faults;
        assert!(
            outcome.audit.passed(),
            "jinka sim {}\n{}",
            config.replay_arguments(),
            outcome.audit.table()
        );
        assert!(faults.torn.injected > 0, "seed {seed}");
        assert!(
            faults.torn.recovered > 0 && faults.torn.rolled_back > 0,
            "seed {seed}"
        );
        assert!(faults.offline.late_records > 0, "seed {seed}");
        assert!(
            faults.duplicate.same_id + faults.duplicate.replays > 0,
            "seed {seed}"
        );
        assert!(faults.corrupt.bad_tac > 0, "seed {seed}");
        assert!(
            faults.clone.cards > 0
                && faults.clone.duplicates + faults.clone.discontinuity_flags > 0,
            "seed {seed}"
        );
        assert!(faults.lost.refused > 0, "seed {seed}");
        assert!(faults.restart.injected > 0, "seed {seed}");
        assert!(faults.missing_key.refused > 0, "seed {seed}");
    }
}

#[test]
fn money_that_appears_on_a_card_fails_the_audit() {
    let outcome = run_with(config(60, 1, 1, 9), |simulation| {
        assert!(simulation.tamper_with_card_balance(7, 77_777));
    });
    assert!(!outcome.audit.passed());
    let failed: Vec<&str> = outcome
        .audit
        .lines
        .iter()
        .filter(|line| line.status == Status::Fail)
        .map(|line| line.check)
        .collect();
    assert_eq!(failed, ["money.per_card"]);
    assert_eq!(outcome.report()["passed"], false);
}
