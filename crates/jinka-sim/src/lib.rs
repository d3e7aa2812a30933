//! The seeded network simulation: a whole jinka network (cities, card issuers, acquirers,
//! terminals with SAMs, cardholders with daily habits) driving the real code end to end:
//! every transaction is APDUs against a card emulator (`jinka-card`) through a terminal
//! (`jinka-terminal`) and its SAM (`jinka-sam`); loads are authorized by the hub; terminals
//! upload batches the hub verifies, clears and settles (`jinka-hub`, reached through a
//! [`HubPort`]). Faults are injected at a rate each ([`Fault`], [`FaultRates`]); the
//! [`Audit`] then checks that every fen is accounted for.
//!
//! - [`SimConfig`]: sizes, seed and fault rates; [`SimConfig::replay_arguments`] replays a
//!   run. Everything is drawn from [`SimRng`] streams derived from the seed: the same seed
//!   and flags give the same world, transactions and audit.
//! - [`HubPort`]: register, upload a bulk batch, authorize and confirm a load, close a
//!   window, restart; [`InProcessHub`] implements it on a data directory with
//!   `jinka_hub::Admin`. The simulated clock ([`SimClock`]) is the in-process hub's clock.
//! - [`run`] builds the [`World`], runs the days ([`Simulation::run_days`]), audits
//!   ([`Simulation::audit`]) and gives an [`Outcome`] with its JSON [`Outcome::report`].
//!
//! ```
//! use jinka_sim::{FaultRates, InProcessHub, SimClock, SimConfig, Silent};
//!
//! let data = tempfile::tempdir().unwrap();
//! let clock = SimClock::new();
//! let mut hub = InProcessHub::open(data.path().join("hub"), None, clock.clone()).unwrap();
//! let config = SimConfig {
//!     cards: 40,
//!     days: 1,
//!     cities: 2,
//!     seed: 7,
//!     outings: 0,
//!     faults: FaultRates::default(),
//! };
//! let outcome = jinka_sim::run(config, &mut hub, clock, &mut Silent).unwrap();
//! assert!(outcome.audit.passed(), "{}", outcome.audit.table());
//! assert!(outcome.tally.activity.transactions > 0);
//! ```

mod audit;
pub mod background;
mod clock;
mod config;
mod error;
mod flows;
mod hub_port;
mod in_process;
mod journal;
mod plan;
mod progress;
mod rng;
mod simulation;
mod sync;
mod tally;
mod top_up;
mod upload;
mod world;

use serde::Serialize;
use serde_json::{Value, json};

pub use audit::{Audit, AuditLine, Money, Status, WindowFacts};
pub use clock::{SimClock, SimTime};
pub use config::{
    CARDS_DEFAULT, CARDS_MAX, CITIES_DEFAULT, CITIES_MAX, ConfigError, DAYS_DEFAULT, DAYS_MAX,
    Fault, FaultRates, OUTINGS_MAX, SEED_DEFAULT, SimConfig,
};
pub use error::SimError;
pub use hub_port::{
    AccountTotals, CardSpec, ConfirmAnswer, HubCardState, HubPort, LoadAnswer, LoadAsk,
    LoadConfirm, ParticipantSpec, PortError, ResolvedLoads, TerminalSpec,
};
pub use in_process::{InProcessHub, OPERATOR_NAME};
pub use progress::{Progress, Silent};
pub use rng::{PPM, Rate, SimRng};
pub use simulation::Simulation;
pub use tally::{DayActivity, Tally};
pub use top_up::LOAD_GROUP_MAX;
pub use upload::BATCH_RECORDS_SIM_MAX;
pub use world::{TerminalKind, World};

/// The `format` field of a report.
pub const REPORT_FORMAT: &str = "jinka-sim-report";
/// Its `version`.
pub const REPORT_VERSION: u32 = 1;

/// What a run gives.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The audit.
    pub audit: Audit,
    /// The money figures.
    pub money: Money,
    /// Each closed window.
    pub windows: Vec<WindowFacts>,
    /// Everything counted.
    pub tally: Tally,
    /// The world's sizes.
    pub world: WorldSummary,
    /// The configuration.
    pub config: SimConfig,
}

/// The world's sizes, for the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WorldSummary {
    /// Participants (the operator not included).
    pub participants: Vec<String>,
    /// Cities.
    pub cities: Vec<String>,
    /// Terminals by kind.
    pub terminals: std::collections::BTreeMap<&'static str, u64>,
    /// Cards by issuer and key version (`Bank e-purse v2`).
    pub cards: std::collections::BTreeMap<String, u64>,
    /// Cardholders commuting by metro, by bus, on foot; students.
    pub commuters: std::collections::BTreeMap<&'static str, u64>,
}

impl WorldSummary {
    fn of(world: &World) -> WorldSummary {
        let mut terminals = std::collections::BTreeMap::new();
        for terminal in &world.terminals {
            *terminals.entry(terminal.kind.name()).or_insert(0) += 1;
        }
        let mut cards = std::collections::BTreeMap::new();
        let mut commuters = std::collections::BTreeMap::new();
        for holder in &world.holders {
            let issuer = &world.issuers[holder.issuer].name;
            *cards
                .entry(format!("{issuer} v{}", holder.key_version))
                .or_insert(0) += 1;
            let how = match holder.commute {
                world::Commute::Metro => "metro",
                world::Commute::Bus => "bus",
                world::Commute::Walk => "on-foot",
            };
            *commuters.entry(how).or_insert(0) += 1;
            if holder.student {
                *commuters.entry("students").or_insert(0) += 1;
            }
        }
        WorldSummary {
            participants: world
                .parties
                .iter()
                .map(|party| party.name.clone())
                .collect(),
            cities: world.cities.iter().map(|city| city.name.clone()).collect(),
            terminals,
            cards,
            commuters,
        }
    }
}

/// Runs `config` on `hub` (whose clock, for an in-process hub, is `clock`).
pub fn run(
    config: SimConfig,
    hub: &mut dyn HubPort,
    clock: SimClock,
    progress: &mut dyn Progress,
) -> Result<Outcome, SimError> {
    let mut simulation = Simulation::new(config, hub, clock, progress)?;
    simulation.run_days()?;
    simulation.outcome()
}

impl Simulation<'_> {
    /// Audits and gathers the outcome.
    pub fn outcome(&mut self) -> Result<Outcome, SimError> {
        let (audit, money, windows) = self.audit()?;
        Ok(Outcome {
            audit,
            money,
            windows,
            tally: self.tally.clone(),
            world: WorldSummary::of(&self.world),
            config: self.config.clone(),
        })
    }
}

impl Outcome {
    /// The report's JSON (fields in the README): the same for the same seed and flags.
    pub fn report(&self) -> Value {
        let faults: serde_json::Map<String, Value> = self
            .config
            .faults
            .iter()
            .map(|(fault, rate)| {
                (
                    fault.name().to_owned(),
                    json!(f64::from(rate.get()) / f64::from(PPM)),
                )
            })
            .collect();
        json!({
            "format": REPORT_FORMAT,
            "version": REPORT_VERSION,
            "config": {
                "cards": self.config.cards,
                "days": self.config.days,
                "cities": self.config.cities,
                "seed": self.config.seed,
                "outings": self.config.outings,
                "fault_rates": faults,
            },
            "replay": format!("jinka sim {}", self.config.replay_arguments()),
            "world": self.world,
            "activity": self.tally.activity,
            "days": self.tally.days,
            "faults": self.tally.faults,
            "decisions": self.tally.decisions,
            "money": self.money,
            "windows": self.windows,
            "audit": self.audit.lines,
            "passed": self.audit.passed(),
        })
    }
}
