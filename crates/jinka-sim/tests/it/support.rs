//! A run on a fresh in-process hub in a temporary directory.

use jinka_sim::{FaultRates, InProcessHub, Outcome, Silent, SimClock, SimConfig, Simulation};

pub fn config(cards: u32, days: u32, cities: u32, seed: u64) -> SimConfig {
    SimConfig {
        cards,
        days,
        cities,
        seed,
        outings: 0,
        faults: FaultRates::default(),
    }
}

/// Runs `config` on a fresh hub; `before_audit` may touch the simulation first.
pub fn run_with(config: SimConfig, before_audit: impl FnOnce(&mut Simulation<'_>)) -> Outcome {
    let data = tempfile::tempdir().unwrap();
    let clock = SimClock::new();
    let mut hub = InProcessHub::open(data.path().join("hub"), None, clock.clone()).unwrap();
    let mut progress = Silent;
    let mut simulation = Simulation::new(config, &mut hub, clock, &mut progress).unwrap();
    simulation.run_days().unwrap();
    before_audit(&mut simulation);
    simulation.outcome().unwrap()
}

pub fn run(config: SimConfig) -> Outcome {
    run_with(config, |_| {})
}
