//! What a run is made of: its sizes, its seed and its fault rates ([`SimConfig`]), and the
//! command line that replays it.

use crate::rng::Rate;

/// Most cards a run holds (each is a card emulator in memory).
pub const CARDS_MAX: u32 = 2_000_000;
/// Most simulated days.
pub const DAYS_MAX: u32 = 366;
/// Most cities (regions).
pub const CITIES_MAX: u32 = 32;
/// Most outings a cardholder makes a day beyond their habits (they fit between lunch and
/// the evening commute).
pub const OUTINGS_MAX: u32 = 2;

/// Cards of the default run.
pub const CARDS_DEFAULT: u32 = 2_000;
/// Days of the default run.
pub const DAYS_DEFAULT: u32 = 3;
/// Cities of the default run.
pub const CITIES_DEFAULT: u32 = 3;
/// Seed of the default run.
pub const SEED_DEFAULT: u64 = 1;

/// One kind of injected fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// A card torn (power removed) in the middle of DEBIT or CREDIT; per card transaction.
    Torn,
    /// A terminal offline for 1 to 3 days, then uploading late and out of order; per
    /// acquirer terminal and day.
    Offline,
    /// A batch uploaded twice (the same batch id again, or its records under a new id); per
    /// upload.
    Duplicate,
    /// A record corrupted in transit (a bit of a TAC-covered field flipped); per record
    /// uploaded.
    Corrupt,
    /// A card cloned (its memory copied to a second chip that spends the same balance); per
    /// card and day.
    Clone,
    /// A card lost and reported mid-day (then found and tried by someone else); per card and
    /// day.
    Lost,
    /// The hub restarted around an upload whose answer never arrived; per upload.
    Restart,
    /// A SAM missing the bank's new key version until a later day; per terminal.
    MissingKey,
}

impl Fault {
    /// Every fault, in the order reports list them.
    pub const ALL: [Fault; 8] = [
        Fault::Torn,
        Fault::Offline,
        Fault::Duplicate,
        Fault::Corrupt,
        Fault::Clone,
        Fault::Lost,
        Fault::Restart,
        Fault::MissingKey,
    ];

    /// Its name in flags (`--torn-rate`) and reports.
    pub const fn name(self) -> &'static str {
        match self {
            Fault::Torn => "torn",
            Fault::Offline => "offline",
            Fault::Duplicate => "duplicate",
            Fault::Corrupt => "corrupt",
            Fault::Clone => "clone",
            Fault::Lost => "lost",
            Fault::Restart => "restart",
            Fault::MissingKey => "missing-key",
        }
    }

    /// Its default rate.
    pub const fn default_rate(self) -> Rate {
        Rate::ppm(match self {
            Fault::Torn => 1_000,
            Fault::Offline => 50_000,
            Fault::Duplicate => 20_000,
            Fault::Corrupt => 500,
            Fault::Clone => 1_000,
            Fault::Lost => 1_000,
            Fault::Restart => 10_000,
            Fault::MissingKey => 100_000,
        })
    }

    /// What the rate is a probability of.
    pub const fn rate_unit(self) -> &'static str {
        match self {
            Fault::Torn => "per card transaction",
            Fault::Offline => "per acquirer terminal and day",
            Fault::Duplicate | Fault::Restart => "per batch upload",
            Fault::Corrupt => "per record uploaded",
            Fault::Clone | Fault::Lost => "per card and day",
            Fault::MissingKey => "per terminal",
        }
    }
}

/// The rate of each fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultRates([Rate; 8]);

impl Default for FaultRates {
    fn default() -> FaultRates {
        FaultRates(Fault::ALL.map(Fault::default_rate))
    }
}

impl FaultRates {
    /// No fault at all.
    pub const NONE: FaultRates = FaultRates([Rate::ZERO; 8]);

    /// The rate of `fault`.
    pub fn get(&self, fault: Fault) -> Rate {
        self.0[fault as usize]
    }

    /// Sets the rate of `fault`.
    pub fn set(&mut self, fault: Fault, rate: Rate) {
        self.0[fault as usize] = rate;
    }

    /// Every fault with its rate.
    pub fn iter(&self) -> impl Iterator<Item = (Fault, Rate)> + '_ {
        Fault::ALL.into_iter().map(|fault| (fault, self.get(fault)))
    }
}

/// A run's sizes, seed and faults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimConfig {
    /// Cards (one cardholder each).
    pub cards: u32,
    /// Simulated days (one settlement window each).
    pub days: u32,
    /// Cities.
    pub cities: u32,
    /// The seed: with the sizes and rates it decides everything.
    pub seed: u64,
    /// Outings each cardholder at home makes every afternoon beyond their habits (a round
    /// trip by their usual means and a purchase at a shop): 0 keeps the habits alone (about
    /// five transactions a card a day), each outing adds about four.
    pub outings: u32,
    /// Fault rates.
    pub faults: FaultRates,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            cards: CARDS_DEFAULT,
            days: DAYS_DEFAULT,
            cities: CITIES_DEFAULT,
            seed: SEED_DEFAULT,
            outings: 0,
            faults: FaultRates::default(),
        }
    }
}

/// Why a configuration was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} must be from {min} to {max}, not {value}")]
pub struct ConfigError {
    /// The flag.
    pub field: &'static str,
    /// Its value.
    pub value: u64,
    /// Smallest allowed.
    pub min: u64,
    /// Largest allowed.
    pub max: u64,
}

impl SimConfig {
    /// Checks the sizes against their limits.
    pub fn check(&self) -> Result<(), ConfigError> {
        for (field, value, max) in [
            ("--cards", self.cards, CARDS_MAX),
            ("--days", self.days, DAYS_MAX),
            ("--cities", self.cities, CITIES_MAX),
        ] {
            if value == 0 || value > max {
                return Err(ConfigError {
                    field,
                    value: u64::from(value),
                    min: 1,
                    max: u64::from(max),
                });
            }
        }
        if self.outings > OUTINGS_MAX {
            return Err(ConfigError {
                field: "--outings",
                value: u64::from(self.outings),
                min: 0,
                max: u64::from(OUTINGS_MAX),
            });
        }
        Ok(())
    }

    /// The `jinka sim` arguments that replay this run (sizes, seed, outings when there are
    /// any, every rate that is not its default).
    pub fn replay_arguments(&self) -> String {
        let mut text = format!(
            "--cards {} --days {} --cities {} --seed {}",
            self.cards, self.days, self.cities, self.seed
        );
        if self.outings > 0 {
            text.push_str(&format!(" --outings {}", self.outings));
        }
        for (fault, rate) in self.faults.iter() {
            if rate != fault.default_rate() {
                text.push_str(&format!(" --{}-rate {rate}", fault.name()));
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_arguments_name_what_differs_from_the_defaults() {
        let mut config = SimConfig::default();
        assert_eq!(
            config.replay_arguments(),
            "--cards 2000 --days 3 --cities 3 --seed 1"
        );
        config.faults.set(Fault::Torn, Rate::ppm(50_000));
        config.faults.set(Fault::MissingKey, Rate::ZERO);
        assert_eq!(
            config.replay_arguments(),
            "--cards 2000 --days 3 --cities 3 --seed 1 --torn-rate 0.05 --missing-key-rate 0"
        );
        config.outings = 2;
        assert_eq!(
            config.replay_arguments(),
            "--cards 2000 --days 3 --cities 3 --seed 1 --outings 2 --torn-rate 0.05 \
             --missing-key-rate 0"
        );
        assert!(config.check().is_ok());
        config.outings = OUTINGS_MAX + 1;
        assert_eq!(config.check().unwrap_err().field, "--outings");
        config.outings = 0;
        config.cards = 0;
        assert_eq!(config.check().unwrap_err().field, "--cards");
    }
}
