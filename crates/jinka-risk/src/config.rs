//! The rules' configuration: the network's, with per-issuer overrides, and the limits on the
//! state the evaluator keeps. JSON through serde; [`RiskConfig::new`] checks it.
//!
//! The defaults and the override rules are at [`RiskSettings`].

use std::collections::HashMap;

use jinka_clearing::IssuerId;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::bad_tac::{BadTacCheck, BadTacRule};
use crate::counter_gap::{CounterGapCheck, CounterGapRule};
use crate::daily_spend::DailySpendRule;
use crate::discontinuity::DiscontinuityRule;
use crate::error::RiskError;
use crate::velocity::{VelocityCheck, VelocityRule};

/// Default quiet time after a decision: 24 hours.
pub const REPEAT_QUIET_MINUTES_DEFAULT: u32 = 24 * 60;
/// The longest quiet time a configuration may give: 30 days.
pub const REPEAT_QUIET_MINUTES_MAX: u32 = 30 * 24 * 60;
/// Default number of cards whose state is kept.
pub const CARDS_MAX_DEFAULT: usize = 1_000_000;
/// Default time after which an unseen card's state is forgotten: 3 days.
pub const CARD_IDLE_MINUTES_DEFAULT: u32 = 3 * 24 * 60;
/// Default number of terminals whose bad TACs are kept.
pub const TERMINALS_MAX_DEFAULT: usize = 100_000;
/// Default number of card counters whose gaps are tracked.
pub const GAP_COUNTERS_MAX_DEFAULT: usize = 100_000;
/// Default time after which a counter with no report is forgotten: 30 days.
pub const GAP_IDLE_MINUTES_DEFAULT: u32 = 30 * 24 * 60;
/// The most entries a configuration may give any table.
pub const TABLE_ENTRIES_MAX: usize = 100_000_000;
/// The longest idle time a configuration may give: a year.
pub const IDLE_MINUTES_MAX: u32 = 365 * 24 * 60;
/// The most issuers with overrides.
pub const ISSUER_OVERRIDES_MAX: usize = 10_000;

/// Everything configurable, as JSON reads it: the network's rules, the per-issuer overrides,
/// the quiet time, the state limits. Unchecked: [`RiskConfig::new`] checks it.
///
/// # Defaults
///
/// | setting | default |
/// |---|---|
/// | `daily_spend` | on, more than 1,000.00 yuan (`threshold_fen` 100000) of offline purchases on one day of the card's date → `flag` |
/// | `velocity` | on, two regions within 60 minutes (`min_travel_minutes`, `region_pairs` for pairs of their own) → `flag` |
/// | `balance_discontinuity` | on, any flagged record → `hotlist_card` |
/// | `counter_gap` | on, a gap open for more than 72 hours (`open_limit_minutes` 4320) → `flag` |
/// | `bad_tac` | on, 10 bad TACs from one terminal within 60 minutes → `suspend_terminal` |
/// | `repeat_quiet_minutes` | 1440: a rule that fired stays quiet for the same subject while its pattern goes on, and for a day after it stops |
/// | `limits.cards_max` | 1,000,000 cards (about 150 bytes each: a 120-byte state, and its ASN and slot index in a hash table) |
/// | `limits.card_idle_minutes` | 4320: a card unseen for 3 days is forgotten |
/// | `limits.terminals_max` | 100,000 terminals with recent bad TACs |
/// | `limits.gap_counters_max` | 100,000 counters with open gaps |
/// | `limits.gap_idle_minutes` | 43200: a counter with gaps and no report for 30 days is forgotten |
/// | `issuers` | none |
///
/// An issuer's entry (`{"issuer_id": "3104000000000001", "daily_spend": {...}}`) replaces the
/// network's section for each card rule it names (`daily_spend`, `velocity`,
/// `balance_discontinuity`, `counter_gap`) for the cards of that issuer id (EF 0x15); a
/// section replaces the whole section, omitted fields of it taking the defaults above. The
/// `bad_tac` rule is the network's only: it is about terminals, which acquirers own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskSettings {
    /// The network's daily spend rule.
    pub daily_spend: DailySpendRule,
    /// The network's velocity rule.
    pub velocity: VelocityRule,
    /// The network's balance discontinuity rule.
    pub balance_discontinuity: DiscontinuityRule,
    /// The network's counter gap rule.
    pub counter_gap: CounterGapRule,
    /// The bad TAC rule (network-wide).
    pub bad_tac: BadTacRule,
    /// How long a rule stays quiet for a subject after its pattern was last seen (0 to
    /// [`REPEAT_QUIET_MINUTES_MAX`]); see [`crate::RiskEvaluator`].
    pub repeat_quiet_minutes: u32,
    /// Limits on the state kept.
    pub limits: StateLimits,
    /// Per-issuer overrides of the card rules.
    pub issuers: Vec<IssuerRules>,
}

impl Default for RiskSettings {
    fn default() -> RiskSettings {
        RiskSettings {
            daily_spend: DailySpendRule::default(),
            velocity: VelocityRule::default(),
            balance_discontinuity: DiscontinuityRule::default(),
            counter_gap: CounterGapRule::default(),
            bad_tac: BadTacRule::default(),
            repeat_quiet_minutes: REPEAT_QUIET_MINUTES_DEFAULT,
            limits: StateLimits::default(),
            issuers: Vec::new(),
        }
    }
}

/// Limits on the state the evaluator keeps: bounded memory, old state forgotten by time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateLimits {
    /// Most cards kept (1 to [`TABLE_ENTRIES_MAX`]); full, idle ones go first, then the least
    /// recently seen eighth.
    pub cards_max: usize,
    /// A card unseen this long is forgotten (1 to [`IDLE_MINUTES_MAX`]; at least the longest
    /// travel time of any velocity rule).
    pub card_idle_minutes: u32,
    /// Most terminals with recent bad TACs kept (1 to [`TABLE_ENTRIES_MAX`]).
    pub terminals_max: usize,
    /// Most card counters with tracked gaps (1 to [`TABLE_ENTRIES_MAX`]).
    pub gap_counters_max: usize,
    /// A counter with no report this long is forgotten (1 to [`IDLE_MINUTES_MAX`]; at least
    /// the longest counter gap limit, so every gap can fire first).
    pub gap_idle_minutes: u32,
}

impl Default for StateLimits {
    fn default() -> StateLimits {
        StateLimits {
            cards_max: CARDS_MAX_DEFAULT,
            card_idle_minutes: CARD_IDLE_MINUTES_DEFAULT,
            terminals_max: TERMINALS_MAX_DEFAULT,
            gap_counters_max: GAP_COUNTERS_MAX_DEFAULT,
            gap_idle_minutes: GAP_IDLE_MINUTES_DEFAULT,
        }
    }
}

/// One issuer's overrides: each section given replaces the network's for its cards.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerRules {
    /// The issuer id on the cards (EF 0x15), hex.
    #[serde(with = "crate::identifier_text::issuer_id")]
    pub issuer_id: IssuerId,
    /// Replaces the network's daily spend rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_spend: Option<DailySpendRule>,
    /// Replaces the network's velocity rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub velocity: Option<VelocityRule>,
    /// Replaces the network's balance discontinuity rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance_discontinuity: Option<DiscontinuityRule>,
    /// Replaces the network's counter gap rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter_gap: Option<CounterGapRule>,
}

impl IssuerRules {
    /// An entry that overrides nothing yet.
    pub fn new(issuer_id: IssuerId) -> IssuerRules {
        IssuerRules {
            issuer_id,
            daily_spend: None,
            velocity: None,
            balance_discontinuity: None,
            counter_gap: None,
        }
    }
}

/// The card rules that apply to one issuer's cards, ready for lookups.
#[derive(Clone, Debug)]
pub(crate) struct CardRules {
    pub(crate) daily_spend: DailySpendRule,
    pub(crate) velocity: VelocityCheck,
    pub(crate) discontinuity: DiscontinuityRule,
    pub(crate) counter_gap: CounterGapCheck,
}

impl CardRules {
    fn resolve(
        (daily_spend, velocity): (&DailySpendRule, &VelocityRule),
        (discontinuity, counter_gap): (&DiscontinuityRule, &CounterGapRule),
        limits: &StateLimits,
        issuer: bool,
    ) -> Result<CardRules, RiskError> {
        daily_spend.check(issuer)?;
        let (velocity_check, counter_gap_check) =
            (velocity.resolve(issuer)?, counter_gap.resolve(issuer)?);
        if velocity.longest_travel_minutes() > limits.card_idle_minutes {
            return Err(RiskError::config(
                "limits.card_idle_minutes",
                "must be at least the longest velocity travel time",
            ));
        }
        if counter_gap.open_limit_minutes > limits.gap_idle_minutes {
            return Err(RiskError::config(
                "limits.gap_idle_minutes",
                "must be at least the longest counter gap limit",
            ));
        }
        Ok(CardRules {
            daily_spend: *daily_spend,
            velocity: velocity_check,
            discontinuity: *discontinuity,
            counter_gap: counter_gap_check,
        })
    }
}

/// A checked configuration (see the module's table of defaults). Serializes as its
/// [`RiskSettings`]; deserializing checks them.
#[derive(Clone, Debug)]
pub struct RiskConfig {
    settings: RiskSettings,
    network: CardRules,
    issuers: HashMap<IssuerId, CardRules>,
    bad_tac: BadTacCheck,
    quiet_ms: i64,
    card_idle_ms: i64,
    gap_idle_ms: i64,
}

fn check_limits(limits: &StateLimits) -> Result<(), RiskError> {
    let tables = [
        ("limits.cards_max", limits.cards_max),
        ("limits.terminals_max", limits.terminals_max),
        ("limits.gap_counters_max", limits.gap_counters_max),
    ];
    for (field, max) in tables {
        if !(1..=TABLE_ENTRIES_MAX).contains(&max) {
            return Err(RiskError::config(field, "must be 1 to 100000000"));
        }
    }
    let idles = [
        ("limits.card_idle_minutes", limits.card_idle_minutes),
        ("limits.gap_idle_minutes", limits.gap_idle_minutes),
    ];
    for (field, minutes) in idles {
        if !(1..=IDLE_MINUTES_MAX).contains(&minutes) {
            return Err(RiskError::config(
                field,
                "must be 1 to 525600 minutes (a year)",
            ));
        }
    }
    Ok(())
}

impl RiskConfig {
    /// Checks `settings`: every value in its documented range, actions the rule may take,
    /// region pairs distinct, one entry per issuer, idle times long enough for the rules.
    pub fn new(settings: RiskSettings) -> Result<RiskConfig, RiskError> {
        check_limits(&settings.limits)?;
        if settings.repeat_quiet_minutes > REPEAT_QUIET_MINUTES_MAX {
            return Err(RiskError::config(
                "repeat_quiet_minutes",
                "must be at most 43200 minutes (30 days)",
            ));
        }
        if settings.issuers.len() > ISSUER_OVERRIDES_MAX {
            return Err(RiskError::config("issuers", "lists at most 10000 issuers"));
        }
        let s = &settings;
        let network = CardRules::resolve(
            (&s.daily_spend, &s.velocity),
            (&s.balance_discontinuity, &s.counter_gap),
            &s.limits,
            false,
        )?;
        let mut issuers = HashMap::with_capacity(s.issuers.len());
        for entry in &s.issuers {
            let rules = CardRules::resolve(
                (
                    entry.daily_spend.as_ref().unwrap_or(&s.daily_spend),
                    entry.velocity.as_ref().unwrap_or(&s.velocity),
                ),
                (
                    entry
                        .balance_discontinuity
                        .as_ref()
                        .unwrap_or(&s.balance_discontinuity),
                    entry.counter_gap.as_ref().unwrap_or(&s.counter_gap),
                ),
                &s.limits,
                true,
            )?;
            if issuers.insert(entry.issuer_id, rules).is_some() {
                return Err(RiskError::config("issuers", "lists each issuer id once"));
            }
        }
        Ok(RiskConfig {
            bad_tac: s.bad_tac.resolve()?,
            quiet_ms: i64::from(s.repeat_quiet_minutes) * 60_000,
            card_idle_ms: i64::from(s.limits.card_idle_minutes) * 60_000,
            gap_idle_ms: i64::from(s.limits.gap_idle_minutes) * 60_000,
            network,
            issuers,
            settings,
        })
    }

    /// Parses and checks a JSON configuration (omitted fields take the defaults).
    pub fn from_json(text: &str) -> Result<RiskConfig, RiskError> {
        let settings =
            serde_json::from_str(text).map_err(|e| RiskError::ConfigJson(e.to_string()))?;
        RiskConfig::new(settings)
    }

    /// The settings it was made from.
    pub fn settings(&self) -> &RiskSettings {
        &self.settings
    }

    /// The card rules for cards of `issuer_id`.
    pub(crate) fn card_rules(&self, issuer_id: IssuerId) -> &CardRules {
        if self.issuers.is_empty() {
            return &self.network;
        }
        self.issuers.get(&issuer_id).unwrap_or(&self.network)
    }

    pub(crate) fn bad_tac(&self) -> &BadTacCheck {
        &self.bad_tac
    }

    pub(crate) fn quiet_ms(&self) -> i64 {
        self.quiet_ms
    }

    pub(crate) fn card_idle_ms(&self) -> i64 {
        self.card_idle_ms
    }

    pub(crate) fn gap_idle_ms(&self) -> i64 {
        self.gap_idle_ms
    }

    pub(crate) fn limits(&self) -> &StateLimits {
        &self.settings.limits
    }
}

impl Default for RiskConfig {
    /// The defaults of the module's table.
    fn default() -> RiskConfig {
        // A unit test shows the defaults pass the checks.
        RiskConfig::new(RiskSettings::default()).expect("the default settings are valid")
    }
}

impl PartialEq for RiskConfig {
    fn eq(&self, other: &RiskConfig) -> bool {
        self.settings == other.settings
    }
}

impl Eq for RiskConfig {}

impl Serialize for RiskConfig {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.settings.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RiskConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RiskConfig, D::Error> {
        let settings = RiskSettings::deserialize(deserializer)?;
        RiskConfig::new(settings).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        let config = RiskConfig::new(RiskSettings::default()).unwrap();
        assert_eq!(config.quiet_ms(), 24 * 3_600_000);
        assert_eq!(config.card_idle_ms(), 3 * 24 * 3_600_000);
        assert_eq!(config.bad_tac().count, 10);
    }
}
